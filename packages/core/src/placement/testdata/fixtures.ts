/** Small hand-made providers for placement tests: only what a test sets differs from a plain default. */
import type { Arch, Disk, Gpu, MachineClass, Provider } from '../../provider.ts';

export interface MachineOptions {
  count?: number;
  arch?: Arch;
  price?: number;
  cores?: number;
  threads?: number;
  memory?: number;
  disks?: Disk[];
  gpus?: Gpu[];
  tags?: string[];
}

export function machine(id: string, o: MachineOptions = {}): MachineClass {
  const cores = o.cores ?? 8;
  const m: MachineClass = {
    id,
    count: o.count ?? 1,
    arch: o.arch ?? 'x86_64',
    price_per_hour: o.price ?? 1,
    cpu: { model: 'Test CPU', cores, threads: o.threads ?? cores * 2 },
    memory_gib: o.memory ?? 32,
    disks: o.disks ?? [{ type: 'nvme', size_gb: 1000 }],
    nics: [{ speed_gbps: 10 }],
  };
  if (o.gpus !== undefined) m.gpus = o.gpus;
  if (o.tags !== undefined) m.tags = o.tags;
  return m;
}

export interface ProviderOptions {
  region?: string;
  country?: string;
  currency?: string;
  images?: string[];
  machines?: MachineClass[];
}

export function provider(id: string, o: ProviderOptions = {}): Provider {
  return {
    schema: 1,
    id,
    name: `Provider ${id}`,
    contact: `ops@${id}.example`,
    location: { region: o.region ?? 'eu-central', country: o.country ?? 'DE' },
    endpoint: { host: `nimbus.${id}.example`, port: 2222, host_key: `SHA256:${'A'.repeat(43)}` },
    tenants: { policy: 'open' },
    price: { currency: o.currency ?? 'USD' },
    images: o.images ?? ['debian-12'],
    machines: o.machines ?? [machine('standard')],
  };
}

/** Deterministic shuffle (a seeded Fisher–Yates), for order-independence tests. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
