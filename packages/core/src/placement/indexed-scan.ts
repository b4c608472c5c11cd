/**
 * The class-level rules on the index: finds the matching classes of the passing
 * providers and counts the rejected ones by first rule, reading a list sorted or grouped
 * by the first rule the request asks about when that reads less (see place.ts).
 */
import { ROW } from './class-rows.ts';
import { classFailure, firstMatchingModel, passesClassRule, skipCheck, type CompiledQuery } from './compiled-query.ts';
import type { MatchBuffer } from './matches.ts';
import type { SortedList } from './placement-index.ts';
import { PASSING, passProviders, providerPasses, type PassingProviders } from './provider-pass.ts';
import { recordMatch } from './rank.ts';
import { RULE_NUMBER } from './rules.ts';
import { isSimple, scanSimple, scanSimpleList } from './simple-scan.ts';

const {
  none: PASS, arch: ARCH, gpu: GPU, cores: CORES, threads: THREADS, memory: MEMORY, disk: DISK, tags: TAGS,
} = RULE_NUMBER;

const { size: ROW_SIZE, provider: ROW_PROVIDER } = ROW;
const { all: PASS_ALL, notExcluded: PASS_NOT_EXCLUDED, region: PASS_REGION, country: PASS_COUNTRY, marked: PASS_MARKED } = PASSING;

/** A driver that stands for no rule: its lists hold every class of a partition. */
const NO_DRIVER = -2;

/**
 * How many times more a class costs read from its provider's rows than from a list:
 * providers' rows are scattered over memory, a list's copies are read in order.
 */
const SCATTERED_READ_COST = 2;

/** Which partition a segment's list covers, so a list of only passing providers needs no check. */
const FROM_ALL = 0;
const FROM_REGION = 1;
const FROM_COUNTRY = 2;

/** A run of a sorted or grouped class list; `check` when being in it does not prove its rule passes. */
interface Segment {
  ids: Int32Array;
  /** The list's copies of its classes' rows, or null to read `ix.rows`. */
  rows: Float64Array | null;
  /** Where reading starts. */
  from: number;
  check: boolean;
  /** For GPU model lists: a class is read only from the list of its first matching model. */
  gpuModel: number;
  /** FROM_ALL, FROM_REGION or FROM_COUNTRY. */
  partition: number;
}

interface Driver {
  /** The rule the lists stand for, or NO_DRIVER. */
  rule: number;
  segments: Segment[];
  cost: number;
}

/** Adds the rejected classes to `counts` by first failing rule; returns the matching classes. */
export function scanIndexed(cq: CompiledQuery, counts: Float64Array): MatchBuffer {
  const passing = passProviders(cq, counts);
  const driver = chooseDriver(cq);
  const matched = cq.ix.scratch.matches.reset();
  if (driver.cost >= passing.classes * SCATTERED_READ_COST) scanProviders(cq, passing, counts, matched);
  else scanDriver(cq, passing, driver, counts, matched);
  return matched;
}

/** Plan 1: every class of every passing provider, every class-level rule. */
function scanProviders(cq: CompiledQuery, passing: PassingProviders, counts: Float64Array, matched: MatchBuffer): void {
  const ix = cq.ix;
  const source = matched.addSource(ix.rows);
  if (passing.chunks === null) {
    for (let p = 0; p < ix.providerCount; p++) {
      if (providerPasses(cq, passing.kind, p)) scanProvider(cq, p, counts, matched, source);
    }
    return;
  }
  for (const chunk of passing.chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const p = chunk[i]!;
      if (providerPasses(cq, passing.kind, p)) scanProvider(cq, p, counts, matched, source);
    }
  }
}

function scanProvider(cq: CompiledQuery, p: number, counts: Float64Array, matched: MatchBuffer, source: number): void {
  const ix = cq.ix;
  const rows = ix.rows;
  if (isSimple(cq)) {
    scanSimple(cq, null, rows, ix.classStart[p]!, ix.classStart[p + 1]!, source, counts, matched, null, true);
    return;
  }
  for (let c = ix.classStart[p]!; c < ix.classStart[p + 1]!; c++) {
    const rule = classFailure(cq, c, rows, c * ROW_SIZE);
    if (rule === PASS) recordMatch(cq, matched, c, source, rows, c * ROW_SIZE);
    else counts[rule]!++;
  }
}

/**
 * The lists to read: those of the first class-level rule after arch when it has them;
 * otherwise every class of the shortest partition (registry, regions or countries) the
 * request allows, read from a size list from its start, with `rule` NO_DRIVER.
 */
function chooseDriver(cq: CompiledQuery): Driver {
  const first = cq.classRules[cq.arch === -1 ? 0 : 1] ?? NO_DRIVER;
  let segments: Segment[] | null;
  switch (first) {
    case CORES: segments = sizeSegments(cq, 0, cq.minCores); break;
    case THREADS: segments = sizeSegments(cq, 1, cq.minThreads); break;
    case MEMORY: segments = sizeSegments(cq, 2, cq.minMemory); break;
    case DISK: segments = cq.archs.map((a) => fromKey(cq.ix.diskLists[cq.diskSlot]![a]!, cq.diskMin, FROM_ALL)); break;
    case GPU: segments = gpuSegments(cq); break;
    case TAGS: segments = tagSegments(cq); break;
    default: segments = null;
  }
  const rule = segments === null ? NO_DRIVER : first;
  const lists = segments ?? sizeSegments(cq, 0, -Infinity);
  return { rule, segments: lists, cost: segmentsCost(lists) };
}

function segmentsCost(segments: readonly Segment[]): number {
  return segments.reduce((sum, s) => sum + s.ids.length - s.from, 0);
}

function fromKey(list: SortedList, min: number, partition: number): Segment {
  return { ids: list.ids, rows: list.rows, from: lowerBound(list.keys, min), check: false, gpuModel: -1, partition };
}

/** The shortest of the whole-registry, per-region and per-country lists for a size. */
function sizeSegments(cq: CompiledQuery, dimension: number, min: number): Segment[] {
  const ix = cq.ix;
  const options = [cq.archs.map((a) => fromKey(ix.sizeLists[dimension]![a]!, min, FROM_ALL))];
  if (cq.regionOk !== null) {
    options.push(cq.regions.flatMap((r) => cq.archs.map((a) => fromKey(ix.regionSizeLists[r]![dimension]![a]!, min, FROM_REGION))));
  }
  if (cq.countryOk !== null) {
    options.push(cq.countries.flatMap((k) => cq.archs.map((a) => fromKey(ix.countrySizeLists[k]![dimension]![a]!, min, FROM_COUNTRY))));
  }
  return options.reduce((best, option) => (segmentsCost(option) < segmentsCost(best) ? option : best));
}

function gpuSegments(cq: CompiledQuery): Segment[] {
  const segments: Segment[] = [];
  cq.gpuModelOk.forEach((ok, model) => {
    if (ok !== 1) return;
    for (const a of cq.archs) {
      const list = cq.ix.gpuModelClasses[model]![a]!;
      segments.push({ ids: list.ids, rows: list.rows, from: 0, check: true, gpuModel: model, partition: FROM_ALL });
    }
  });
  return segments;
}

/** The rarest requested tag's classes; none when a requested tag is on no class at all. */
function tagSegments(cq: CompiledQuery): Segment[] {
  let best: Segment[] = [];
  let bestCost = Infinity;
  for (const tag of cq.tagIds) {
    if (tag === -1) return [];
    const segments = cq.archs.map((a): Segment => ({
      ids: cq.ix.tagClasses[tag]![a]!.ids, rows: cq.ix.tagClasses[tag]![a]!.rows, from: 0, check: true, gpuModel: -1, partition: FROM_ALL,
    }));
    if (segmentsCost(segments) < bestCost) {
      best = segments;
      bestCost = segmentsCost(segments);
    }
  }
  return best;
}

function lowerBound(keys: Float64Array, min: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < min) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Plan 2: read the driver rule's lists. Of the passing providers' classes with the
 * requested arch, those the lists do not yield as passing failed the driver rule first.
 */
function scanDriver(cq: CompiledQuery, passing: PassingProviders, driver: Driver, counts: Float64Array, matched: MatchBuffer): void {
  counts[ARCH]! += passing.classes - passing.withArch;
  // Every list is of one arch and yields only classes that pass the driver rule, or is
  // checked against it below before classFailure runs: neither needs checking again.
  skipCheck(cq, ARCH);
  if (driver.rule !== NO_DRIVER) skipCheck(cq, driver.rule);
  let passedDriver = 0;
  for (const segment of driver.segments) {
    const kind = passing.kind;
    // A list of the request's own regions or countries holds only passing providers.
    const trusted = kind === PASS_ALL
      || (kind === PASS_REGION && segment.partition === FROM_REGION)
      || (kind === PASS_COUNTRY && segment.partition === FROM_COUNTRY);
    passedDriver += trusted && !segment.check && segment.rows !== null
      ? scanSortedSegment(cq, segment, counts, matched)
      : scanSegment(cq, driver.rule, segment, trusted ? PASS_ALL : kind, counts, matched);
  }
  if (driver.rule !== NO_DRIVER) counts[driver.rule]! += passing.withArch - passedDriver;
}

/**
 * The common case, a sorted list with row copies and only passing providers: every class
 * read passes the driver rule, so only the later rules are tested. Returns how many were read.
 */
function scanSortedSegment(cq: CompiledQuery, segment: Segment, counts: Float64Array, matched: MatchBuffer): number {
  const { ids } = segment;
  const rows = segment.rows!;
  const source = matched.addSource(rows);
  const start = segment.from;
  // Computed before the loop: code after a long first loop has no type feedback yet
  // when V8 optimises the loop, and would throw the optimised code away on reaching it.
  const read = ids.length - start;
  if (isSimple(cq)) {
    scanSimpleList(cq, ids, rows, start, source, counts, matched);
    return read;
  }
  for (let i = start; i < ids.length; i++) {
    const failed = classFailure(cq, ids[i]!, rows, i * ROW_SIZE);
    if (failed === PASS) recordMatch(cq, matched, ids[i]!, source, rows, i * ROW_SIZE);
    else counts[failed]!++;
  }
  return read;
}

/** Any segment: skips classes of failing providers, checks the driver rule when the list does not prove it. Returns how many passed it. */
function scanSegment(cq: CompiledQuery, rule: number, segment: Segment, kind: number, counts: Float64Array, matched: MatchBuffer): number {
  const { ids, check } = segment;
  const rows = segment.rows ?? cq.ix.rows;
  const source = matched.addSource(rows);
  const byClass = segment.rows === null;
  const { scratch } = cq.ix;
  if (!check && !byClass && isSimple(cq) && (kind === PASS_MARKED || kind === PASS_NOT_EXCLUDED)) {
    const marks = kind === PASS_MARKED ? scratch.passing : scratch.excluded;
    return scanSimple(cq, ids, rows, segment.from, ids.length, source, counts, matched, marks, kind === PASS_MARKED);
  }
  let passed = 0;
  for (let i = segment.from; i < ids.length; i++) {
    const c = ids[i]!;
    const at = (byClass ? c : i) * ROW_SIZE;
    if (kind !== PASS_ALL && !providerPasses(cq, kind, rows[at + ROW_PROVIDER]!)) continue;
    if (check) {
      if (segment.gpuModel !== -1 && firstMatchingModel(cq, c) !== segment.gpuModel) continue;
      if (!passesClassRule(cq, rule, c, rows, at)) continue;
    }
    passed++;
    const failed = classFailure(cq, c, rows, at);
    if (failed === PASS) recordMatch(cq, matched, c, source, rows, at);
    else counts[failed]!++;
  }
  return passed;
}
