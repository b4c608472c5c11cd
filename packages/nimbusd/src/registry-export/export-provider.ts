/**
 * `nimbusd registry export`: reads the config, the host key's public half, the enrolled
 * machines and (when asked) this host's inventory, builds the provider file, and checks
 * it with core's parseProviderFile as `providers/<id>.toml` before anyone sees it, so
 * what is printed is what the registry's CI will accept.
 */
import { existsSync, readFileSync } from 'node:fs';
import { formatProblem, parseProviderFile, type Provider } from '@nimbus/core';
import type { NimbusdConfig } from '../config/config.ts';
import { fingerprintOfPublicKeyLine } from '../config/fingerprint.ts';
import { readHostKey } from '../config/host-key.ts';
import type { HostInventory } from '../inventory/types.ts';
import { listMachines } from '../machines/machines.ts';
import { buildProvider, type ClassDescription } from './build-provider.ts';
import { RegistryExportError } from './errors.ts';
import { renderProviderToml } from './render-toml.ts';

export interface ExportOptions {
  config: NimbusdConfig;
  /** Path of a JSON file mapping class id → description (see ClassDescription). */
  classesFile?: string;
  pricePerHour?: number;
  /** Called only when the host's inventory is wanted (`--describe-from-host`). */
  collectInventory?: () => Promise<HostInventory>;
}

export interface ExportResult {
  /** Where the file belongs in a registry repo. */
  path: string;
  toml: string;
  provider: Provider;
}

/** The host key's fingerprint from its `.pub` (no need to read the private key), else from the private key. */
function hostKeyFingerprint(path: string): string {
  const pub = `${path}.pub`;
  if (existsSync(pub)) {
    const fingerprint = fingerprintOfPublicKeyLine(readFileSync(pub, 'utf8').trim());
    if (fingerprint) return fingerprint;
  }
  return readHostKey(path).fingerprint;
}

export function readClassDescriptions(path: string): Record<string, ClassDescription> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RegistryExportError([`--classes ${path} cannot be read as JSON: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RegistryExportError([`--classes ${path} must be a JSON object mapping class ids to descriptions`]);
  }
  // Each description's fields are checked with the whole file against the registry schema.
  return parsed as Record<string, ClassDescription>;
}

export async function exportProvider(options: ExportOptions): Promise<ExportResult> {
  const { config } = options;
  const classCounts = new Map<string, number>();
  for (const m of listMachines(config.stateDir)) classCounts.set(m.class, (classCounts.get(m.class) ?? 0) + 1);
  const provider = buildProvider({
    config,
    hostKeyFingerprint: hostKeyFingerprint(config.api.hostKeyPath),
    classCounts,
    ...(options.classesFile === undefined ? {} : { descriptions: readClassDescriptions(options.classesFile) }),
    ...(options.collectInventory === undefined ? {} : { hostInventory: await options.collectInventory() }),
    ...(options.pricePerHour === undefined ? {} : { pricePerHour: options.pricePerHour }),
  });
  const path = `providers/${provider.id}.toml`;
  const toml = renderProviderToml(provider, `Written by \`nimbusd registry export\` from ${config.file}.`);
  const parsed = parseProviderFile({ path, bytes: new TextEncoder().encode(toml) });
  if (parsed.problems.length > 0) throw new RegistryExportError(parsed.problems.map(formatProblem));
  return { path, toml, provider };
}
