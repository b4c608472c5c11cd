/**
 * A synthetic Nimbus registry for benchmarks: a seeded, reproducible set of providers
 * with a realistic mix of regions, currencies, CPUs, memory, disks, GPUs, prices and
 * tags. Every provider satisfies registry-schema/provider.schema.json.
 *
 *   const providers = generateSyntheticRegistry({ providers: 10_000, machineClasses: 100_000, seed: 1 });
 *   await writeSyntheticRegistry('/tmp/registry', providers);   // providers/<id>.toml
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import type { Arch, Disk, Gpu, MachineClass, Nic, Provider } from '../../packages/core/src/index.ts';

export interface SyntheticRegistryOptions {
  /** Defaults to 10,000. */
  providers?: number;
  /** Total machine classes over all providers; defaults to 10 per provider. */
  machineClasses?: number;
  /** Defaults to 1. The same seed always gives the same registry. */
  seed?: number;
}

/** A small, fast PRNG (sfc32) seeded through splitmix32: deterministic across platforms. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[item, weight], …]`. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** `k` distinct items, in the order of `items`. */
  sample<T>(items: readonly T[], k: number): T[] {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(k, items.length)) chosen.add(Math.floor(this.next() * items.length));
    return [...chosen].sort((x, y) => x - y).map((i) => items[i]!);
  }
}

interface RegionSpec { region: string; weight: number; countries: ReadonlyArray<readonly [string, string, string]> }

/** Region, its weight in the mix, and countries as [code, currency, city]. */
export const REGIONS: readonly RegionSpec[] = [
  { region: 'eu-central', weight: 14, countries: [['DE', 'EUR', 'Frankfurt'], ['DE', 'EUR', 'Nuremberg'], ['AT', 'EUR', 'Vienna'], ['CH', 'CHF', 'Zurich'], ['PL', 'PLN', 'Warsaw']] },
  { region: 'eu-west', weight: 12, countries: [['FR', 'EUR', 'Paris'], ['NL', 'EUR', 'Amsterdam'], ['BE', 'EUR', 'Brussels'], ['IE', 'EUR', 'Dublin'], ['GB', 'GBP', 'London']] },
  { region: 'eu-north', weight: 5, countries: [['SE', 'SEK', 'Stockholm'], ['FI', 'EUR', 'Helsinki'], ['NO', 'NOK', 'Oslo'], ['IS', 'EUR', 'Reykjavik']] },
  { region: 'eu-south', weight: 4, countries: [['IT', 'EUR', 'Milan'], ['ES', 'EUR', 'Madrid'], ['PT', 'EUR', 'Lisbon']] },
  { region: 'us-east', weight: 14, countries: [['US', 'USD', 'Ashburn'], ['US', 'USD', 'New York'], ['US', 'USD', 'Atlanta']] },
  { region: 'us-west', weight: 9, countries: [['US', 'USD', 'San Jose'], ['US', 'USD', 'Seattle'], ['US', 'USD', 'Los Angeles']] },
  { region: 'us-central', weight: 6, countries: [['US', 'USD', 'Dallas'], ['US', 'USD', 'Chicago']] },
  { region: 'ca-east', weight: 3, countries: [['CA', 'CAD', 'Montreal'], ['CA', 'CAD', 'Toronto']] },
  { region: 'sa-east', weight: 3, countries: [['BR', 'BRL', 'Sao Paulo'], ['CL', 'USD', 'Santiago']] },
  { region: 'ap-northeast', weight: 7, countries: [['JP', 'JPY', 'Tokyo'], ['JP', 'JPY', 'Osaka'], ['KR', 'KRW', 'Seoul']] },
  { region: 'ap-southeast', weight: 7, countries: [['SG', 'SGD', 'Singapore'], ['ID', 'USD', 'Jakarta'], ['MY', 'USD', 'Kuala Lumpur']] },
  { region: 'ap-south', weight: 5, countries: [['IN', 'INR', 'Mumbai'], ['IN', 'INR', 'Chennai']] },
  { region: 'oc-east', weight: 4, countries: [['AU', 'AUD', 'Sydney'], ['NZ', 'NZD', 'Auckland']] },
  { region: 'af-south', weight: 2, countries: [['ZA', 'ZAR', 'Johannesburg']] },
  { region: 'me-central', weight: 2, countries: [['AE', 'USD', 'Dubai'], ['IL', 'USD', 'Tel Aviv']] },
];

/** Units of each currency per USD, roughly: prices are drawn in USD and converted. */
export const USD_RATES: Readonly<Record<string, number>> = {
  USD: 1, EUR: 0.92, CHF: 0.88, PLN: 3.95, GBP: 0.79, SEK: 10.4, NOK: 10.6, CAD: 1.36, BRL: 5.0,
  JPY: 150, KRW: 1330, SGD: 1.34, INR: 83, AUD: 1.52, NZD: 1.64, ZAR: 18.5,
};

/** Rates for a request in `currency`: 1 unit of KEY = value units of `currency`. */
export function ratesTo(currency: string): Record<string, number> {
  const perUsd = USD_RATES[currency]!;
  return Object.fromEntries(Object.entries(USD_RATES).map(([code, units]) => [code, perUsd / units]));
}

interface CpuSpec { model: string; arch: Arch; cores: number; threads: number; ghz: number; sockets: readonly number[]; weight: number; usdPerCore: number }

export const CPUS: readonly CpuSpec[] = [
  { model: 'AMD EPYC 9654', arch: 'x86_64', cores: 96, threads: 192, ghz: 2.4, sockets: [1, 2], weight: 5, usdPerCore: 0.012 },
  { model: 'AMD EPYC 9554', arch: 'x86_64', cores: 64, threads: 128, ghz: 3.1, sockets: [1, 2], weight: 5, usdPerCore: 0.013 },
  { model: 'AMD EPYC 9124', arch: 'x86_64', cores: 16, threads: 32, ghz: 3.0, sockets: [1, 2], weight: 6, usdPerCore: 0.014 },
  { model: 'AMD EPYC 7763', arch: 'x86_64', cores: 64, threads: 128, ghz: 2.45, sockets: [1, 2], weight: 6, usdPerCore: 0.01 },
  { model: 'AMD EPYC 7313P', arch: 'x86_64', cores: 16, threads: 32, ghz: 3.0, sockets: [1], weight: 8, usdPerCore: 0.011 },
  { model: 'AMD EPYC 4464P', arch: 'x86_64', cores: 12, threads: 24, ghz: 3.7, sockets: [1], weight: 6, usdPerCore: 0.012 },
  { model: 'AMD Ryzen 9 7950X', arch: 'x86_64', cores: 16, threads: 32, ghz: 4.5, sockets: [1], weight: 7, usdPerCore: 0.009 },
  { model: 'AMD Ryzen 7 7700', arch: 'x86_64', cores: 8, threads: 16, ghz: 3.8, sockets: [1], weight: 6, usdPerCore: 0.009 },
  { model: 'Intel Xeon Platinum 8480+', arch: 'x86_64', cores: 56, threads: 112, ghz: 2.0, sockets: [1, 2], weight: 4, usdPerCore: 0.015 },
  { model: 'Intel Xeon Gold 6338', arch: 'x86_64', cores: 32, threads: 64, ghz: 2.0, sockets: [1, 2], weight: 6, usdPerCore: 0.012 },
  { model: 'Intel Xeon Silver 4314', arch: 'x86_64', cores: 16, threads: 32, ghz: 2.4, sockets: [1, 2], weight: 5, usdPerCore: 0.011 },
  { model: 'Intel Xeon E-2388G', arch: 'x86_64', cores: 8, threads: 16, ghz: 3.2, sockets: [1], weight: 6, usdPerCore: 0.01 },
  { model: 'Intel Xeon E-2336', arch: 'x86_64', cores: 6, threads: 12, ghz: 2.9, sockets: [1], weight: 4, usdPerCore: 0.01 },
  { model: 'Intel Core i5-13500', arch: 'x86_64', cores: 14, threads: 20, ghz: 2.5, sockets: [1], weight: 4, usdPerCore: 0.007 },
  { model: 'Ampere Altra Q80-30', arch: 'arm64', cores: 80, threads: 80, ghz: 3.0, sockets: [1, 2], weight: 4, usdPerCore: 0.007 },
  { model: 'Ampere Altra Q32-17', arch: 'arm64', cores: 32, threads: 32, ghz: 1.7, sockets: [1], weight: 3, usdPerCore: 0.006 },
  { model: 'AmpereOne A192-32X', arch: 'arm64', cores: 192, threads: 192, ghz: 3.2, sockets: [1], weight: 2, usdPerCore: 0.008 },
  { model: 'NVIDIA Grace CPU', arch: 'arm64', cores: 72, threads: 72, ghz: 3.1, sockets: [1, 2], weight: 1, usdPerCore: 0.014 },
];

interface GpuSpec { model: string; memory: number; arch: Arch; usd: number; weight: number }

export const GPUS: readonly GpuSpec[] = [
  { model: 'NVIDIA H100 SXM', memory: 80, arch: 'x86_64', usd: 2.5, weight: 3 },
  { model: 'NVIDIA H100 PCIe', memory: 80, arch: 'x86_64', usd: 2.1, weight: 2 },
  { model: 'NVIDIA A100 80GB', memory: 80, arch: 'x86_64', usd: 1.5, weight: 4 },
  { model: 'NVIDIA A100 40GB', memory: 40, arch: 'x86_64', usd: 1.1, weight: 3 },
  { model: 'NVIDIA L40S', memory: 48, arch: 'x86_64', usd: 0.9, weight: 4 },
  { model: 'NVIDIA L4', memory: 24, arch: 'x86_64', usd: 0.35, weight: 4 },
  { model: 'NVIDIA RTX 4090', memory: 24, arch: 'x86_64', usd: 0.4, weight: 4 },
  { model: 'NVIDIA RTX A6000', memory: 48, arch: 'x86_64', usd: 0.7, weight: 3 },
  { model: 'AMD Instinct MI250X', memory: 128, arch: 'x86_64', usd: 1.6, weight: 1 },
  { model: 'AMD Instinct MI300X', memory: 192, arch: 'x86_64', usd: 2.8, weight: 1 },
  { model: 'NVIDIA GH200', memory: 96, arch: 'arm64', usd: 3.0, weight: 1 },
];

export const IMAGES = [
  'ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'debian-13', 'rocky-9', 'alma-9', 'fedora-42',
  'flatcar-stable', 'talos-1.10', 'nixos-25.05', 'proxmox-8', 'freebsd-14',
] as const;

export const TAGS = [
  'ipv6', 'ecc', 'public-ip', 'private-network', 'ddos-protection', 'raid1', 'green-energy', 'sgx',
  'sev-snp', 'infiniband', 'gpu-direct', 'tier:iii', 'tier:iv', 'gdpr', 'soc2', 'hipaa', '25g-uplink', 'bgp',
] as const;

const NAME_A = ['nord', 'alp', 'blue', 'iron', 'terra', 'pixel', 'rack', 'volt', 'cobalt', 'granite', 'aurora', 'metro', 'lumen', 'delta', 'sol', 'kilo'];
const NAME_B = ['metal', 'host', 'compute', 'cloud', 'iron', 'servers', 'bare', 'grid', 'stack', 'node', 'works', 'dc'];
const MEMORY_SIZES = [16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096];
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Providers in generation order. Same options, same registry, bit for bit. */
export function generateSyntheticRegistry(options: SyntheticRegistryOptions = {}): Provider[] {
  const providerCount = options.providers ?? 10_000;
  const classCount = options.machineClasses ?? providerCount * 10;
  if (classCount < providerCount) throw new RangeError('machineClasses must be at least providers: each provider has a class');
  const rng = new Rng(options.seed ?? 1);
  const sizes = classesPerProvider(rng, providerCount, classCount);
  return sizes.map((size, i) => makeProvider(rng, i, size));
}

/** Between 1 and 1000 classes each (mostly 3 to 17), summing to exactly `total`. */
function classesPerProvider(rng: Rng, providers: number, total: number): number[] {
  const mean = total / providers;
  const sizes = Array.from({ length: providers }, () => Math.max(1, Math.round(mean * (0.3 + 1.4 * rng.next()))));
  let diff = total - sizes.reduce((a, b) => a + b, 0);
  while (diff !== 0) {
    const i = rng.int(0, providers - 1);
    if (diff > 0 && sizes[i]! < 1000) { sizes[i]!++; diff--; }
    else if (diff < 0 && sizes[i]! > 1) { sizes[i]!--; diff++; }
  }
  return sizes;
}

function makeProvider(rng: Rng, index: number, classCount: number): Provider {
  const id = `${rng.pick(NAME_A)}-${rng.pick(NAME_B)}-${String(index).padStart(5, '0')}`;
  const spec = rng.weighted(REGIONS.map((r) => [r, r.weight] as const));
  const [country, localCurrency, city] = rng.pick(spec.countries);
  // Some providers outside the US price in dollars anyway.
  const currency = localCurrency !== 'USD' && rng.chance(0.15) ? 'USD' : localCurrency;
  const priceFactor = 0.7 + 0.8 * rng.next();
  const gpuShop = rng.chance(0.1);
  const armShop = rng.chance(0.12);
  const machines: MachineClass[] = [];
  for (let k = 0; k < classCount; k++) machines.push(makeClass(rng, k, { gpuShop, armShop, priceFactor, currency }));
  const provider: Provider = {
    schema: 1,
    id,
    name: `${id.split('-').slice(0, 2).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ')} ${index}`,
    contact: `ops@${id}.example.net`,
    owners: [`${id.slice(0, 30)}-ops`],
    location: { region: spec.region, country, city, site: `${city.split(' ')[0]!.toLowerCase()}-${rng.int(1, 9)}` },
    endpoint: { host: `nimbus.${id}.example.net`, port: rng.chance(0.7) ? 2222 : rng.int(1024, 65000), host_key: `SHA256:${randomBase64(rng, 43)}` },
    tenants: rng.chance(0.8) ? { policy: 'open' } : { policy: 'allowlist', signup: `https://${id}.example.net/signup` },
    price: { currency, billing: rng.weighted([['hour', 6], ['minute', 2], ['month', 2]] as const) },
    images: rng.sample(IMAGES, rng.int(2, 8)),
    machines,
  };
  if (rng.chance(0.3)) provider.description = `Bare-metal servers in ${city}.`;
  return provider;
}

function makeClass(
  rng: Rng, k: number, shop: { gpuShop: boolean; armShop: boolean; priceFactor: number; currency: string },
): MachineClass {
  const arm = shop.armShop ? rng.chance(0.6) : rng.chance(0.05);
  const cpus = CPUS.filter((c) => c.arch === (arm ? 'arm64' : 'x86_64'));
  const cpu = rng.weighted(cpus.map((c) => [c, c.weight] as const));
  const sockets = rng.pick(cpu.sockets);
  const cores = cpu.cores * sockets;
  const memory = nearestMemory(cores * rng.pick([2, 4, 4, 8, 8, 16]));
  const gpus: Gpu[] = [];
  if (rng.chance(shop.gpuShop ? 0.6 : 0.02)) {
    const models = GPUS.filter((g) => g.arch === cpu.arch);
    const gpu = rng.weighted(models.map((g) => [g, g.weight] as const));
    gpus.push({ model: gpu.model, memory_gib: gpu.memory, count: rng.pick([1, 2, 4, 8]) });
  }
  const disks = makeDisks(rng);
  const nics: Nic[] = [{ speed_gbps: rng.weighted([[1, 2], [10, 5], [25, 4], [100, 2]] as const), count: rng.pick([1, 2, 2, 4]) }];
  if (gpus.length > 0 && rng.chance(0.5)) nics.push({ speed_gbps: rng.pick([200, 400]), count: rng.pick([1, 2, 4, 8]) });
  const tags = rng.sample(TAGS, rng.weighted([[0, 2], [1, 3], [2, 4], [3, 3], [4, 2], [6, 1]] as const));
  const gpuUsd = gpus.reduce((sum, g) => sum + g.count * GPUS.find((s) => s.model === g.model)!.usd, 0);
  const usd = (cores * cpu.usdPerCore + memory * 0.0009 + gpuUsd) * shop.priceFactor;
  const machine: MachineClass = {
    id: `${cpu.model.split(' ').slice(-1)[0]!.toLowerCase().replace(/[^a-z0-9]/g, '')}-${memory}g-${k}`,
    count: rng.weighted([[1, 3], [2, 3], [4, 3], [8, 2], [16, 2], [40, 1], [200, 0.2]] as const),
    arch: cpu.arch,
    price_per_hour: roundPrice(usd * USD_RATES[shop.currency]!),
    cpu: { model: cpu.model, sockets, cores, threads: cpu.threads * sockets, base_ghz: cpu.ghz },
    memory_gib: memory,
    disks,
    nics,
  };
  if (gpus.length > 0) machine.gpus = gpus;
  if (tags.length > 0) machine.tags = tags;
  return machine;
}

function makeDisks(rng: Rng): Disk[] {
  const kind = rng.weighted([['nvme', 6], ['ssd', 2], ['storage', 1.5], ['mixed', 1.5]] as const);
  const nvme = (): Disk => ({ type: 'nvme', size_gb: rng.pick([480, 960, 1920, 3840, 7680, 15360]), count: rng.pick([1, 2, 2, 4, 8]) });
  switch (kind) {
    case 'nvme': return [nvme()];
    case 'ssd': return [{ type: 'ssd', size_gb: rng.pick([240, 480, 960, 1920, 3840]), count: rng.pick([1, 2, 2, 4]) }];
    case 'storage': return [{ type: 'ssd', size_gb: 480, count: 2 }, { type: 'hdd', size_gb: rng.pick([4000, 8000, 12000, 16000, 20000]), count: rng.pick([4, 8, 12, 24]) }];
    case 'mixed': return [nvme(), { type: 'hdd', size_gb: rng.pick([4000, 8000, 16000]), count: rng.pick([2, 4]) }];
  }
}

function nearestMemory(gib: number): number {
  return MEMORY_SIZES.reduce((best, size) => (Math.abs(size - gib) < Math.abs(best - gib) ? size : best));
}

/** Two significant decimals for small prices, whole units for big ones (JPY, KRW). */
function roundPrice(value: number): number {
  if (value >= 100) return Math.round(value);
  return Math.max(0.001, Number(value.toPrecision(3)));
}

function randomBase64(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE64[rng.int(0, 63)];
  return out;
}

/** One provider file's TOML text, as a provider would write it. */
export function providerToToml(provider: Provider): string {
  return `# Provider file generated for benchmarks.\n${stringify(provider)}\n`;
}

/** Writes `<dir>/providers/<id>.toml` for each provider; returns how many files and bytes. */
export async function writeSyntheticRegistry(dir: string, providers: readonly Provider[]): Promise<{ files: number; bytes: number }> {
  const providersDir = join(dir, 'providers');
  await mkdir(providersDir, { recursive: true });
  let bytes = 0;
  const batch = 256;
  for (let i = 0; i < providers.length; i += batch) {
    await Promise.all(providers.slice(i, i + batch).map(async (provider) => {
      const text = providerToToml(provider);
      bytes += Buffer.byteLength(text);
      await writeFile(join(providersDir, `${provider.id}.toml`), text);
    }));
  }
  return { files: providers.length, bytes };
}
