/**
 * Assembles this provider's registry entry from what nimbusd knows: the [provider]
 * and [api] sections of its config, the host key's fingerprint, and the enrolled
 * machines grouped by class. Pure: the caller reads config, key and inventory.
 *
 * How a class is described (arch, CPU, memory, disks, NICs): nimbusd cannot inspect a
 * machine in band yet, so a class is described by, in this order, an entry for it in the
 * operator's class descriptions (`--classes FILE`), else — only when the operator says
 * the machines are like this host (`--describe-from-host`) — the management host's own
 * inventory. A class with neither is refused by name rather than guessed.
 */
import type { MachineClass, Provider, TenantPolicy } from '@nimbus/core';
import { formatListenAddress, type ListenAddress } from '../config/listen-address.ts';
import type { NimbusdConfig } from '../config/config.ts';
import { MachineClassMappingError, toMachineClass } from '../inventory/machine-class.ts';
import type { HostInventory } from '../inventory/types.ts';
import { RegistryExportError } from './errors.ts';

/** A class description from the operator: a registry machine class without `id`/`count`; its price may come from `--price-per-hour`. */
export type ClassDescription = Omit<MachineClass, 'id' | 'count' | 'price_per_hour'> & { price_per_hour?: number };

export interface ExportInput {
  config: NimbusdConfig;
  hostKeyFingerprint: string;
  /** Class id → how many enrolled machines are in it. */
  classCounts: ReadonlyMap<string, number>;
  /** Class id → the operator's description of it. */
  descriptions?: Readonly<Record<string, ClassDescription>>;
  /** Set only with `--describe-from-host`. */
  hostInventory?: HostInventory;
  /** Price of a class whose description has none. */
  pricePerHour?: number;
}

/** Hosts that cannot be an endpoint: a listen address on every interface says nothing about how to reach it. */
const UNSPECIFIED_HOSTS = new Set(['0.0.0.0', '::', '']);

function endpointOf(config: NimbusdConfig, problems: string[]): ListenAddress | undefined {
  const endpoint = config.api.advertise ?? config.api.listen;
  if (UNSPECIFIED_HOSTS.has(endpoint.host)) {
    problems.push(
      `${config.file}: [api] listen is ${formatListenAddress(config.api.listen)}, which is no address a client can reach; set [api] advertise = "host:port"`,
    );
    return undefined;
  }
  return endpoint;
}

function required<T>(v: T | undefined, key: string, config: NimbusdConfig, problems: string[]): T | undefined {
  if (v === undefined) problems.push(`${config.file}: [provider] ${key} is not set; the registry file needs it`);
  return v;
}

function describeClass(id: string, count: number, input: ExportInput, problems: string[]): MachineClass | undefined {
  const given = input.descriptions?.[id];
  const price = given?.price_per_hour ?? input.pricePerHour;
  if (price === undefined) {
    problems.push(`class ${id}: no price; pass --price-per-hour or give price_per_hour in its description`);
    return undefined;
  }
  if (given) return { id, count, ...given, price_per_hour: price };
  if (!input.hostInventory) {
    problems.push(
      `class ${id} (${count} ${count === 1 ? 'machine' : 'machines'}) has no description: describe it in --classes FILE, or pass --describe-from-host if its machines are like this host`,
    );
    return undefined;
  }
  try {
    return toMachineClass(input.hostInventory, { id, count, price_per_hour: price });
  } catch (err) {
    if (!(err instanceof MachineClassMappingError)) throw err;
    problems.push(`class ${id}: ${err.message}`);
    return undefined;
  }
}

/** The provider, or a RegistryExportError listing everything missing at once. */
export function buildProvider(input: ExportInput): Provider {
  const { config } = input;
  const problems: string[] = [];
  const p = config.provider;
  const name = required(p.name, 'name', config, problems);
  const contact = required(p.contact, 'contact', config, problems);
  const region = required(p.region, 'region', config, problems);
  const country = required(p.country, 'country', config, problems);
  const currency = required(p.currency, 'currency', config, problems);
  if (p.images.length === 0) problems.push(`${config.file}: [provider] images is empty; list the images this site offers`);
  const endpoint = endpointOf(config, problems);
  if (input.classCounts.size === 0) problems.push('no machine is enrolled: enroll one with `nimbusd machine enroll`');

  const machines: MachineClass[] = [];
  for (const [id, count] of [...input.classCounts].sort(([a], [b]) => a.localeCompare(b))) {
    const described = describeClass(id, count, input, problems);
    if (described) machines.push(described);
  }
  if (problems.length > 0 || !name || !contact || !region || !country || !currency || !endpoint) throw new RegistryExportError(problems);

  const tenants: { policy: TenantPolicy; signup?: string } = { policy: config.tenants.policy };
  if (config.tenants.signup !== undefined) tenants.signup = config.tenants.signup;
  return {
    schema: 1,
    id: p.id,
    name,
    contact,
    images: [...p.images],
    location: { region, country, ...(p.city === undefined ? {} : { city: p.city }) },
    endpoint: { host: endpoint.host, port: endpoint.port, host_key: input.hostKeyFingerprint },
    tenants,
    price: { currency },
    machines,
  };
}
