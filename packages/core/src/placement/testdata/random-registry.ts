/**
 * Seeded random registries and requests for comparing `place` with `placeLinear`. Value
 * ranges are small on purpose, so that ties, edge values, missing rates, unknown names
 * and every rule turn up often.
 */
import type { Arch, Disk, DiskType, Gpu, MachineClass, Provider } from '../../provider.ts';
import type { PlacementRequest } from '../request.ts';

/** mulberry32: small, seeded, the same everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const chance = (r: Random, p: number): boolean => r() < p;
const some = <T>(r: Random, items: readonly T[], max: number): T[] => {
  const n = Math.floor(r() * (max + 1));
  return [...new Set(Array.from({ length: n }, () => pick(r, items)))];
};

const REGIONS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['eu-central', ['DE', 'AT', 'CH']],
  ['eu-west', ['FR', 'NL', 'DE']],
  ['us-east', ['US']],
  ['ap-south', ['IN', 'SG']],
];
const CURRENCIES = ['USD', 'EUR', 'JPY', 'CHF'];
const IMAGES = ['debian-12', 'ubuntu-24.04', 'rocky-9', 'talos', 'nixos'];
const GPU_MODELS = ['NVIDIA A100 80GB', 'NVIDIA A100 40GB', 'NVIDIA H100 SXM', 'AMD Instinct MI300X', 'nvidia L4'];
const DISK_TYPES: readonly DiskType[] = ['nvme', 'ssd', 'hdd'];
const CORES = [1, 2, 4, 8, 16, 32, 64];
const MEMORY = [2, 4, 8, 16, 32, 64, 128, 256];
const PRICES = [0, 0.5, 1, 1, 2, 3.5, 10, 120];

/** `tagCount` above 30 makes the index's tag signatures inexact, which the tests want to cover too. */
export function randomRegistry(seed: number, providers = 60, tagCount = 8): Provider[] {
  const r = rng(seed);
  const tags = Array.from({ length: tagCount }, (_, i) => `tag-${i}`);
  return Array.from({ length: providers }, (_, i) => {
    const [region, countries] = pick(r, REGIONS);
    const machines = Array.from({ length: 1 + Math.floor(r() * 8) }, (_, k) => randomClass(r, `c${Math.floor(r() * 50)}-${k}`, tags));
    return {
      schema: 1,
      id: `p${String(Math.floor(r() * 1000)).padStart(3, '0')}-${i}`,
      name: `Provider ${i}`,
      contact: `ops@p${i}.example`,
      location: { region, country: pick(r, countries) },
      endpoint: { host: `nimbus.p${i}.example`, port: 2222, host_key: `SHA256:${'B'.repeat(43)}` },
      tenants: { policy: 'open' },
      price: { currency: pick(r, CURRENCIES) },
      images: some(r, IMAGES, 3).concat(['debian-12']).filter((v, j, all) => all.indexOf(v) === j),
      machines,
    } satisfies Provider;
  });
}

function randomClass(r: Random, id: string, tags: readonly string[]): MachineClass {
  const cores = pick(r, CORES);
  const disks: Disk[] = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
    type: pick(r, DISK_TYPES),
    size_gb: pick(r, [100, 500, 1000, 4000]),
    count: pick(r, [1, 1, 2, 4]),
  }));
  const m: MachineClass = {
    id,
    count: pick(r, [1, 1, 2, 3, 10]),
    arch: chance(r, 0.8) ? 'x86_64' : 'arm64',
    price_per_hour: pick(r, PRICES),
    cpu: { model: 'CPU', cores, threads: chance(r, 0.5) ? cores : cores * 2 },
    memory_gib: pick(r, MEMORY),
    disks,
    nics: [{ speed_gbps: 10 }],
  };
  if (chance(r, 0.3)) {
    m.gpus = Array.from({ length: 1 + Math.floor(r() * 2) }, (): Gpu => ({
      model: pick(r, GPU_MODELS),
      memory_gib: pick(r, [24, 40, 80, 192]),
      count: pick(r, [1, 2, 4, 8]),
    }));
  }
  const classTags = some(r, tags, 4);
  if (classTags.length > 0 || chance(r, 0.2)) m.tags = classTags;
  return m;
}

/** A request using a random handful of fields, some with values no class has. */
export function randomRequest(r: Random, providers: readonly Provider[]): PlacementRequest {
  const req: PlacementRequest = {};
  if (chance(r, 0.3)) req.arch = pick(r, ['x86_64', 'arm64'] as Arch[]);
  if (chance(r, 0.5)) req.minCores = pick(r, [0, 1, 3, 4, 8, 12, 32, 64, 100]);
  if (chance(r, 0.2)) req.minThreads = pick(r, [2, 8, 16, 64]);
  if (chance(r, 0.4)) req.minMemoryGib = pick(r, [1, 4, 16, 30, 64, 256]);
  if (chance(r, 0.25)) {
    req.disk = {};
    if (chance(r, 0.6)) req.disk.type = pick(r, DISK_TYPES);
    if (chance(r, 0.6)) req.disk.minSizeGb = pick(r, [50, 500, 2000, 8000]);
  }
  if (chance(r, 0.25)) {
    req.gpu = {};
    if (chance(r, 0.7)) req.gpu.model = pick(r, ['a100', 'H100', 'mi300', 'l4', 'nvidia', 'xyz']);
    if (chance(r, 0.5)) req.gpu.minCount = pick(r, [1, 2, 4, 8, 16]);
    if (chance(r, 0.3)) req.gpu.minMemoryGib = pick(r, [24, 48, 80]);
  }
  if (chance(r, 0.3)) req.regions = some(r, [...REGIONS.map(([region]) => region), 'EU-Central', 'mars-1'], 2).concat(['eu-west']);
  if (chance(r, 0.25)) req.countries = some(r, ['DE', 'de', 'US', 'FR', 'IN', 'ZZ'], 2).concat(['US']);
  if (chance(r, 0.25)) req.image = pick(r, [...IMAGES, 'plan9']);
  if (chance(r, 0.3)) req.maxPricePerHour = pick(r, [0, 0.5, 1, 2, 100, 1000]);
  if (chance(r, 0.5)) req.currency = pick(r, ['USD', 'EUR', 'jpy']);
  if (chance(r, 0.6)) {
    const rates: Record<string, number> = {};
    for (const c of some(r, CURRENCIES, 4)) rates[c] = pick(r, [0.007, 0.9, 1.1, 150]);
    const own = (req.currency ?? 'USD').toUpperCase();
    if (own in rates) rates[own] = 1;
    req.rates = rates;
  }
  if (chance(r, 0.3)) req.tags = some(r, ['tag-0', 'tag-1', 'tag-2', 'tag-40', 'nope'], 2).concat(['tag-3']);
  if (chance(r, 0.15)) req.providers = some(r, providers.map((p) => p.id), 5).concat(['unknown-provider']);
  if (chance(r, 0.2)) req.excludeProviders = some(r, providers.map((p) => p.id), 8).concat(['unknown-provider']);
  if (chance(r, 0.3)) req.count = pick(r, [2, 3, 5, 20, 200]);
  if (chance(r, 0.3)) req.spread = chance(r, 0.5);
  if (chance(r, 0.3)) req.limit = pick(r, [1, 3, 25]);
  if (chance(r, 0.5)) req.explain = true;
  return req;
}
