/**
 * Placement: 10,000 providers / 100,000 machine classes (synthetic-registry.ts), a fixed
 * mix of typical requests, three variants side by side in one process:
 *  - `place` on the index, without explain (what `nimbusctl plan` runs);
 *  - `place` with explain (every rejected class with its first rule and reason);
 *  - `placeLinear`, the reference scan without an index.
 * Each variant runs the mix round-robin, at most MAX_PLACEMENTS placements or
 * MAX_SECONDS, after a warm-up; every placement is timed on its own. Before timing, each
 * request's results from `place` and `placeLinear` are checked to be identical.
 * A broad request that matches most of the registry is timed apart, as the worst case.
 * Goal: ≥ 10,000 placements/s for `place` without explain.
 *
 *   node test/bench/placement.bench.ts     (or npm run bench -- placement)
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import {
  buildPlacementIndex, place, placeLinear, type PlacementIndex, type PlacementRequest, type PlacementResult, type Provider,
} from '../../packages/core/src/index.ts';
import { markdownTable, percentile, type BenchSection } from './report.ts';
import { generateSyntheticRegistry, ratesTo } from './synthetic-registry.ts';

const PROVIDERS = 10_000;
const MACHINE_CLASSES = 100_000;
const SEED = 1;
/** Per variant. */
const MAX_PLACEMENTS = 20_000;
const MAX_SECONDS = 10;
const GOAL_PER_SECOND = 10_000;

export interface BenchRequest {
  name: string;
  request: PlacementRequest;
}

/** The mix: what users ask, from narrow to fairly broad. Some ids come from the registry. */
export function benchRequests(providers: readonly Provider[]): BenchRequest[] {
  const eur = { currency: 'EUR', rates: ratesTo('EUR') };
  const usd = { currency: 'USD', rates: ratesTo('USD') };
  const ids = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => providers[(from + i * 811) % providers.length]!.id);
  return [
    { name: 'web server, eu-central, ≤ 0.30 EUR/h', request: { regions: ['eu-central'], minCores: 8, minMemoryGib: 32, maxPricePerHour: 0.3, ...eur } },
    { name: 'database, DE, 4 TB nvme, ecc', request: { countries: ['DE'], minCores: 16, minMemoryGib: 128, disk: { type: 'nvme', minSizeGb: 4000 }, tags: ['ecc'], ...eur } },
    { name: '4× A100, us-east or us-west', request: { gpu: { model: 'a100', minCount: 4 }, regions: ['us-east', 'us-west'], ...usd } },
    { name: 'one H100 anywhere', request: { gpu: { model: 'h100' }, ...usd } },
    { name: 'arm64, 64+ cores, ipv6', request: { arch: 'arm64', minCores: 64, tags: ['ipv6'], ...usd } },
    { name: '5 machines spread, eu-west', request: { regions: ['eu-west'], minCores: 32, minMemoryGib: 128, count: 5, ...eur } },
    { name: '10 pinned providers', request: { providers: ids(3, 10), minCores: 4, ...usd } },
    { name: 'ubuntu, US, 3 excluded, ≤ 1 USD/h', request: { image: 'ubuntu-24.04', countries: ['US'], excludeProviders: ids(5, 3), minCores: 16, maxPricePerHour: 1, ...usd } },
    { name: '100 TB hdd, eu-north', request: { regions: ['eu-north'], disk: { type: 'hdd', minSizeGb: 100_000 }, ...eur } },
    { name: '3 small, Asia, ≤ 0.15 USD/h', request: { regions: ['ap-southeast', 'ap-northeast'], minCores: 4, minMemoryGib: 16, maxPricePerHour: 0.15, count: 3, ...usd } },
    { name: '1 TiB memory, 128+ cores', request: { minCores: 128, minMemoryGib: 1024, ...usd } },
    { name: 'nothing fits: 16× MI300', request: { gpu: { model: 'mi300', minCount: 16 }, ...usd } },
  ];
}

/** Matches most of the registry: the worst case for any index, timed outside the mix. */
export const BROAD_REQUEST: BenchRequest = { name: 'any x86_64 with 8+ cores (broad)', request: { arch: 'x86_64', minCores: 8, currency: 'USD', rates: ratesTo('USD') } };

export interface VariantFigures {
  variant: string;
  placements: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RequestFigures {
  name: string;
  matched: number;
  placeP50Ms: number;
  explainP50Ms: number;
  linearP50Ms: number;
}

export interface PlacementBenchFigures {
  providers: number;
  machineClasses: number;
  generateMs: number;
  indexMs: number;
  /** Typed-array memory the index holds. */
  indexMiB: number;
  /** Every request's result from `place` equals `placeLinear`'s, with and without explain. */
  identical: boolean;
  variants: VariantFigures[];
  requests: RequestFigures[];
  broad: RequestFigures;
  /** Bounds per variant. */
  maxPlacements: number;
  maxSeconds: number;
  goalPerSecond: number;
  goalMet: boolean;
}

export interface RunOptions {
  providers?: number;
  machineClasses?: number;
  maxPlacements?: number;
  maxSeconds?: number;
}

type Placer = (req: PlacementRequest) => PlacementResult;

/** Bytes of the typed arrays an object holds, however deep; the registry it points to is not counted. */
function typedArrayBytes(root: object): number {
  const seen = new Set<object>();
  const walk = (value: unknown, key: string): number => {
    if (typeof value !== 'object' || value === null || seen.has(value) || key === 'providers' || key === 'machines') return 0;
    seen.add(value);
    if (ArrayBuffer.isView(value)) return value.byteLength;
    return Object.entries(value).reduce((sum, [k, v]) => sum + walk(v, k), 0);
  };
  return walk(root, '');
}

/** Runs the mix round-robin; returns every placement's time in ms, by request. */
function measure(placer: Placer, mix: readonly BenchRequest[], maxPlacements: number, maxSeconds: number): { times: number[][]; seconds: number } {
  for (const { request } of mix) placer(request); // warm-up: one round
  const times: number[][] = mix.map(() => []);
  const deadline = performance.now() + maxSeconds * 1000;
  const start = performance.now();
  for (let i = 0; i < maxPlacements; i++) {
    const t0 = performance.now();
    placer(mix[i % mix.length]!.request);
    const t1 = performance.now();
    times[i % mix.length]!.push(t1 - t0);
    if (t1 > deadline) break;
  }
  return { times, seconds: (performance.now() - start) / 1000 };
}

function summarize(variant: string, run: { times: number[][]; seconds: number }): VariantFigures {
  const all = run.times.flat().sort((a, b) => a - b);
  return {
    variant,
    placements: all.length,
    seconds: run.seconds,
    perSecond: all.length / run.seconds,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
  };
}

const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 50);

function requestFigures(name: string, matched: number, place: number[], explain: number[], linear: number[]): RequestFigures {
  return { name, matched, placeP50Ms: median(place), explainP50Ms: median(explain), linearP50Ms: median(linear) };
}

function checkIdentical(index: PlacementIndex, providers: readonly Provider[], requests: readonly BenchRequest[]): boolean {
  return requests.every(({ request }) => [false, true].every((explain) =>
    isDeepStrictEqual(place(index, { ...request, explain }), placeLinear(providers, { ...request, explain }))));
}

export async function run(options: RunOptions = {}): Promise<BenchSection & { figures: PlacementBenchFigures }> {
  const maxPlacements = options.maxPlacements ?? MAX_PLACEMENTS;
  const maxSeconds = options.maxSeconds ?? MAX_SECONDS;
  let t = performance.now();
  const providers = generateSyntheticRegistry({
    providers: options.providers ?? PROVIDERS, machineClasses: options.machineClasses ?? MACHINE_CLASSES, seed: SEED,
  });
  const generateMs = performance.now() - t;
  t = performance.now();
  const index = buildPlacementIndex(providers);
  const indexMs = performance.now() - t;
  const indexMiB = typedArrayBytes(index) / 2 ** 20;
  const mix = benchRequests(providers);
  const identical = checkIdentical(index, providers, [...mix, BROAD_REQUEST]);

  const fast = measure((r) => place(index, r), mix, maxPlacements, maxSeconds);
  const explained = measure((r) => place(index, { ...r, explain: true }), mix, maxPlacements, maxSeconds);
  const linear = measure((r) => placeLinear(providers, r), mix, maxPlacements, maxSeconds);
  const variants = [
    summarize('place', fast),
    summarize('place, explain', explained),
    summarize('placeLinear', linear),
  ];
  const requests = mix.map(({ name, request }, i) =>
    requestFigures(name, place(index, request).summary.matched, fast.times[i]!, explained.times[i]!, linear.times[i]!));

  const broadMix = [BROAD_REQUEST];
  const broadFast = measure((r) => place(index, r), broadMix, 200, 2);
  const broadExplain = measure((r) => place(index, { ...r, explain: true }), broadMix, 20, 2);
  const broadLinear = measure((r) => placeLinear(providers, r), broadMix, 20, 2);
  const broad = requestFigures(BROAD_REQUEST.name, place(index, BROAD_REQUEST.request).summary.matched,
    broadFast.times[0]!, broadExplain.times[0]!, broadLinear.times[0]!);

  const figures: PlacementBenchFigures = {
    providers: providers.length,
    machineClasses: index.classCount,
    generateMs,
    indexMs,
    indexMiB,
    identical,
    variants,
    requests,
    broad,
    maxPlacements,
    maxSeconds,
    goalPerSecond: GOAL_PER_SECOND,
    goalMet: variants[0]!.perSecond >= GOAL_PER_SECOND,
  };
  return { title: 'Placement', markdown: render(figures), figures };
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const msText = (n: number): string => `${n < 1 ? n.toFixed(3) : n.toFixed(1)} ms`;

function render(f: PlacementBenchFigures): string {
  const variants = markdownTable(
    ['variant', 'placements', 'time', 'placements/s', 'p50', 'p99'],
    f.variants.map((v) => [v.variant, count(v.placements), `${v.seconds.toFixed(2)} s`, count(v.perSecond), msText(v.p50Ms), msText(v.p99Ms)]),
  );
  const requests = markdownTable(
    ['request', 'matched', 'place p50', 'explain p50', 'placeLinear p50'],
    [...f.requests, f.broad].map((r) => [r.name, count(r.matched), msText(r.placeP50Ms), msText(r.explainP50Ms), msText(r.linearP50Ms)]),
  );
  return [
    `${count(f.providers)} providers, ${count(f.machineClasses)} machine classes (generated in ${msText(f.generateMs)});`
      + ` index built in ${msText(f.indexMs)}, ${f.indexMiB.toFixed(0)} MiB of typed arrays.`
      + ` ${f.requests.length} requests round-robin per variant, at most ${count(f.maxPlacements)} placements or ${f.maxSeconds} s each.`
      + ` place and placeLinear results identical: ${f.identical ? 'yes' : 'NO'}.`
      + ` Goal ≥ ${count(f.goalPerSecond)} placements/s for place: ${f.goalMet ? 'met' : 'not met'}.`,
    '',
    variants,
    '',
    'Per request (the last row is outside the mix: it matches most of the registry):',
    '',
    requests,
  ].join('\n');
}

if (import.meta.main) {
  const section = await run();
  console.log(section.markdown);
}
