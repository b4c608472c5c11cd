/**
 * A request translated into the index's numbers, and the rules run on index columns.
 * These must agree with rules.ts, which says the same thing over the provider model;
 * the tests compare the two paths on random registries.
 */
import { FLAGS, ROW, tagSignatureBit } from './class-rows.ts';
import { ANY_DISK, type PlacementIndex } from './placement-index.ts';
import { ARCHES, DISK_TYPES, type NormalizedRequest } from './request.ts';
import { FIRST_CLASS_RULE, gpuModelMatches, isRuleActive, RULE_NUMBER, RULES } from './rules.ts';
import { fitNeeds, type FitNeeds } from './scoring.ts';

const { cores: ROW_CORES, threads: ROW_THREADS, memory: ROW_MEMORY, price: ROW_PRICE, flags: ROW_FLAGS, tags: ROW_TAGS } = ROW;

const {
  none: PASS, provider: PROVIDER, region: REGION, country: COUNTRY, image: IMAGE, arch: ARCH, gpu: GPU, cores: CORES,
  threads: THREADS, memory: MEMORY, disk: DISK, tags: TAGS, currency: CURRENCY, price: PRICE,
} = RULE_NUMBER;
const { archMask: ARCH_MASK, diskTypesShift: DISK_TYPES_SHIFT, currencyShift: CURRENCY_SHIFT } = FLAGS;

export interface CompiledQuery {
  ix: PlacementIndex;
  q: NormalizedRequest;
  /** The index's scratch marks set by this request hold this number. */
  generation: number;
  /** Arch code, or −1 for any. */
  arch: number;
  archs: readonly number[];
  /** The request's active class-level rules, in RULES order. */
  classRules: readonly number[];
  /** Units of the request's currency per unit of each index currency; NaN when no rate. */
  rate: Float64Array;
  maxPrice: number;
  /** Whether the fit counts matching GPUs. */
  gpuAsked: boolean;
  minCores: number;
  minThreads: number;
  minMemory: number;
  /** 1 for each GPU model (index number) the request's model matches. */
  gpuModelOk: readonly number[];
  gpuMinCount: number;
  gpuMinMemory: number;
  /** −1 for a tag no class has. */
  tagIds: readonly number[];
  /** The bits the required tags set in a row's tag signature; −1, which no row has, when a tag is on no class. */
  tagSignature: number;
  /** What classFailure checks: the asked class-level rules, less those a scan skips. Sizes are floors. */
  check: { arch: boolean; gpu: boolean; cores: number; threads: number; memory: number; disk: boolean; tags: boolean; price: boolean };
  /** Fit's view of the request. */
  needs: FitNeeds;
  /** The column of disk totals the fit reads, when the request asks for disk size. */
  diskTotals: Float64Array | null;
  diskSlot: number;
  /** The disk type's bit, or 0 when any disk counts. */
  diskTypeBit: number;
  diskMin: number;
  /** 1 for each requested region (index number); null when any region will do. */
  regionOk: readonly number[] | null;
  regions: readonly number[];
  countryOk: readonly number[] | null;
  countries: readonly number[];
  /** Known pinned providers; null when not pinned. Unknown ids pin nothing. */
  pinned: readonly number[] | null;
  excluded: readonly number[];
  /** Providers offering the image; null when no image is asked for. */
  imageProviders: Int32Array | null;
}

/** Starts a request on the index: numbers it and marks its excluded, pinned and image providers. */
export function compile(ix: PlacementIndex, q: NormalizedRequest): CompiledQuery {
  const arch = q.arch === undefined ? -1 : ARCHES.indexOf(q.arch);
  const classRules = RULES.flatMap((rule, i) => (i >= FIRST_CLASS_RULE && isRuleActive(rule, q) ? [i] : []));
  const regions = (q.regions ?? []).flatMap((r) => numbered(ix.regionNumber.get(r)));
  const countries = (q.countries ?? []).flatMap((c) => numbered(ix.countryNumber.get(c)));
  const diskType = q.disk?.type === undefined ? -1 : DISK_TYPES.indexOf(q.disk.type);
  const tagIds = q.tags.map((tag) => ix.tagNumber.get(tag) ?? -1);
  const cq: CompiledQuery = {
    ix,
    q,
    generation: ix.nextGeneration(),
    arch,
    archs: arch === -1 ? [0, 1] : [arch],
    classRules,
    rate: Float64Array.from(ix.currencies, (currency) => q.rates.get(currency) ?? NaN),
    maxPrice: q.maxPricePerHour ?? Infinity,
    gpuAsked: q.gpu !== undefined,
    minCores: q.minCores,
    minThreads: q.minThreads,
    minMemory: q.minMemoryGib,
    gpuModelOk: ix.gpuModels.map((model) => (gpuModelMatches(model, q.gpu?.model) ? 1 : 0)),
    gpuMinCount: q.gpu?.minCount ?? 0,
    gpuMinMemory: q.gpu?.minMemoryGib ?? 0,
    tagIds,
    tagSignature: tagIds.includes(-1) ? -1 : tagIds.reduce((bits, tag) => bits | tagSignatureBit(tag), 0),
    check: {
      arch: arch !== -1,
      gpu: q.gpu !== undefined,
      cores: q.minCores,
      threads: q.minThreads,
      memory: q.minMemoryGib,
      disk: q.disk !== undefined,
      tags: q.tags.length > 0,
      price: q.maxPricePerHour !== undefined,
    },
    needs: fitNeeds(q),
    diskTotals: (q.disk?.minSizeGb ?? 0) > 0 ? ix.classDisk[diskType === -1 ? ANY_DISK : diskType]! : null,
    diskSlot: diskType === -1 ? ANY_DISK : diskType,
    diskTypeBit: diskType === -1 ? 0 : 1 << diskType,
    diskMin: q.disk?.minSizeGb ?? 0,
    regionOk: q.regions === undefined ? null : flags(ix.regionProviders.length, regions),
    regions,
    countryOk: q.countries === undefined ? null : flags(ix.countryProviders.length, countries),
    countries,
    pinned: q.providers === undefined ? null : providerNumbers(ix, q.providers),
    excluded: providerNumbers(ix, q.excludeProviders),
    imageProviders: q.image === undefined ? null : ix.imageProviders.get(q.image) ?? new Int32Array(0),
  };
  mark(ix.scratch.excluded, cq.excluded, cq.generation);
  if (cq.pinned !== null) mark(ix.scratch.pinned, cq.pinned, cq.generation);
  if (cq.imageProviders !== null) mark(ix.scratch.image, cq.imageProviders, cq.generation);
  return cq;
}

function mark(marks: Uint32Array, providers: ArrayLike<number>, generation: number): void {
  for (let i = 0; i < providers.length; i++) marks[providers[i]!] = generation;
}

function numbered(n: number | undefined): number[] {
  return n === undefined ? [] : [n];
}

function flags(size: number, set: readonly number[]): number[] {
  const ok = new Array<number>(size).fill(0);
  for (const i of set) ok[i] = 1;
  return ok;
}

function providerNumbers(ix: PlacementIndex, ids: ReadonlySet<string>): number[] {
  return [...ids].flatMap((id) => numbered(ix.providerNumber.get(id)));
}

/** The first provider-level rule provider p fails, or PASS. */
export function providerFailure(cq: CompiledQuery, p: number): number {
  const { ix, generation } = cq;
  const s = ix.scratch;
  if (s.excluded[p] === generation || (cq.pinned !== null && s.pinned[p] !== generation)) return PROVIDER;
  if (cq.regionOk !== null && cq.regionOk[ix.providerRegion[p]!] === 0) return REGION;
  if (cq.countryOk !== null && cq.countryOk[ix.providerCountry[p]!] === 0) return COUNTRY;
  if (cq.imageProviders !== null && s.image[p] !== generation) return IMAGE;
  return PASS;
}

export function providerFailureCount(cq: CompiledQuery, p: number): number {
  const { ix, generation } = cq;
  const s = ix.scratch;
  let failed = 0;
  if (s.excluded[p] === generation || (cq.pinned !== null && s.pinned[p] !== generation)) failed++;
  if (cq.regionOk !== null && cq.regionOk[ix.providerRegion[p]!] === 0) failed++;
  if (cq.countryOk !== null && cq.countryOk[ix.providerCountry[p]!] === 0) failed++;
  if (cq.imageProviders !== null && s.image[p] !== generation) failed++;
  return failed;
}

/**
 * Whether class c passes a class-level rule. Its row is read at `rows[at]`: in `ix.rows`,
 * or in a list that keeps copies of its classes' rows.
 */
export function passesClassRule(cq: CompiledQuery, rule: number, c: number, rows: Float64Array, at: number): boolean {
  const ix = cq.ix;
  switch (rule) {
    case CORES: return rows[at + ROW_CORES]! >= cq.minCores;
    case THREADS: return rows[at + ROW_THREADS]! >= cq.minThreads;
    case MEMORY: return rows[at + ROW_MEMORY]! >= cq.minMemory;
    case ARCH: return (rows[at + ROW_FLAGS]! & ARCH_MASK) === cq.arch;
    case GPU: return matchingGpus(cq, c) >= cq.gpuMinCount;
    case DISK: return passesDisk(cq, c, rows, at);
    case TAGS: return hasTags(cq, c, rows, at);
    case CURRENCY: return !Number.isNaN(rateOf(cq, rows, at));
    case PRICE: {
      const rate = rateOf(cq, rows, at);
      return Number.isNaN(rate) || rows[at + ROW_PRICE]! * rate <= cq.maxPrice;
    }
    default: return true;
  }
}

/**
 * The first class-level rule class c fails, or PASS. Straight-line in RULES order: this
 * is the hot loop. It reads the `check` switches and floors, which start as the request
 * asks and which a scan turns off for what its lists already prove (see {@link skipCheck}).
 * A size not asked for has floor 0, which every class passes, as in rules.ts.
 */
export function classFailure(cq: CompiledQuery, c: number, rows: Float64Array, at: number): number {
  const check = cq.check;
  if (check.arch && (rows[at + ROW_FLAGS]! & ARCH_MASK) !== cq.arch) return ARCH;
  if (check.gpu && matchingGpus(cq, c) < cq.gpuMinCount) return GPU;
  if (rows[at + ROW_CORES]! < check.cores) return CORES;
  if (rows[at + ROW_THREADS]! < check.threads) return THREADS;
  if (rows[at + ROW_MEMORY]! < check.memory) return MEMORY;
  if (check.disk && !passesDisk(cq, c, rows, at)) return DISK;
  if (check.tags && !hasTags(cq, c, rows, at)) return TAGS;
  if (check.price) {
    const rate = cq.rate[rows[at + ROW_FLAGS]! >> CURRENCY_SHIFT]!;
    if (Number.isNaN(rate)) return CURRENCY;
    if (rows[at + ROW_PRICE]! * rate > cq.maxPrice) return PRICE;
  }
  return PASS;
}

/**
 * Turns off the check of a rule every class left to check is known to pass: the rule a
 * scan's lists are sorted or grouped by, and arch for per-arch lists. Only classFailure
 * reads these switches; the rest of the query is untouched.
 */
export function skipCheck(cq: CompiledQuery, rule: number): void {
  const check = cq.check;
  switch (rule) {
    case ARCH: check.arch = false; break;
    case GPU: check.gpu = false; break;
    case CORES: check.cores = 0; break;
    case THREADS: check.threads = 0; break;
    case MEMORY: check.memory = 0; break;
    case DISK: check.disk = false; break;
    case TAGS: check.tags = false; break;
    default: throw new RangeError(`rule ${rule} is not one a scan skips`);
  }
}

export function classFailureCount(cq: CompiledQuery, c: number): number {
  let failed = 0;
  for (const rule of cq.classRules) if (!passesClassRule(cq, rule, c, cq.ix.rows, c * ROW.size)) failed++;
  return failed;
}

/** GPUs of class c that match the requested model and memory. */
export function matchingGpus(cq: CompiledQuery, c: number): number {
  const ix = cq.ix;
  let count = 0;
  for (let e = ix.gpuStart[c]!; e < ix.gpuStart[c + 1]!; e++) {
    if (cq.gpuModelOk[ix.gpuModel[e]!] === 1 && ix.gpuMemory[e]! >= cq.gpuMinMemory) count += ix.gpuCount[e]!;
  }
  return count;
}

/** The lowest-numbered GPU model of class c that the request's model matches, or −1. */
export function firstMatchingModel(cq: CompiledQuery, c: number): number {
  const ix = cq.ix;
  let first = -1;
  for (let e = ix.gpuStart[c]!; e < ix.gpuStart[c + 1]!; e++) {
    const model = ix.gpuModel[e]!;
    if (cq.gpuModelOk[model] === 1 && (first === -1 || model < first)) first = model;
  }
  return first;
}

/** Units of the request's currency per unit of the row's currency; NaN when no rate. */
function rateOf(cq: CompiledQuery, rows: Float64Array, at: number): number {
  return cq.rate[rows[at + ROW_FLAGS]! >> CURRENCY_SHIFT]!;
}

function passesDisk(cq: CompiledQuery, c: number, rows: Float64Array, at: number): boolean {
  const types = rows[at + ROW_FLAGS]! >> DISK_TYPES_SHIFT;
  return (types & cq.diskTypeBit) === cq.diskTypeBit && cq.ix.classDisk[cq.diskSlot]![c]! >= cq.diskMin;
}

/** The row's tag signature rules most classes out without reading their tag list. */
function hasTags(cq: CompiledQuery, c: number, rows: Float64Array, at: number): boolean {
  const signature = rows[at + ROW_TAGS]!;
  if ((signature & cq.tagSignature) !== cq.tagSignature) return false;
  const ix = cq.ix;
  if (ix.tagSignatureExact) return true;
  const start = ix.tagStart[c]!;
  const end = ix.tagStart[c + 1]!;
  for (const tag of cq.tagIds) {
    let found = false;
    for (let e = start; e < end && !found; e++) found = ix.tagIds[e] === tag;
    if (!found) return false;
  }
  return true;
}
