/**
 * The hot loops for the commonest request: one whose class-level checks left to run are
 * only sizes and price (arch and the driver rule being proven by the lists read). They
 * give exactly classFailure's answers in fewer steps, with the counts kept in locals.
 */
import { FLAGS, ROW } from './class-rows.ts';
import type { CompiledQuery } from './compiled-query.ts';
import type { MatchBuffer } from './matches.ts';
import { RULE_NUMBER } from './rules.ts';
import { cheaperReference } from './scoring.ts';

const {
  size: ROW_SIZE, provider: ROW_PROVIDER, cores: ROW_CORES, threads: ROW_THREADS, memory: ROW_MEMORY, price: ROW_PRICE, available: ROW_AVAILABLE,
  flags: ROW_FLAGS,
} = ROW;
const { currencyShift: CURRENCY_SHIFT } = FLAGS;
const { cores: CORES, threads: THREADS, memory: MEMORY, currency: CURRENCY, price: PRICE } = RULE_NUMBER;

/** Whether only sizes and price are left to check. */
export function isSimple(cq: CompiledQuery): boolean {
  const check = cq.check;
  return !check.arch && !check.gpu && !check.disk && !check.tags;
}

/**
 * Classes ids[start…] of a list that keeps their rows (at i × ROW.size), or, when `ids`
 * is null, classes start…end − 1 of `rows` itself (the index's rows, at c × ROW.size).
 * With `marks`, a class is read only when its provider's mark holds the generation
 * (`marked` true) or does not (`marked` false); the others were counted already.
 * Returns how many classes were read.
 */
export function scanSimple(
  cq: CompiledQuery, ids: Int32Array | null, rows: Float64Array, start: number, end: number, source: number,
  counts: Float64Array, matched: MatchBuffer, marks: Uint32Array | null, marked: boolean,
): number {
  const { cores, threads, memory, price } = cq.check;
  const generation = cq.generation;
  const rate = cq.rate;
  const maxPrice = cq.maxPrice;
  // Written straight into the match buffer's arrays (room made first): a method call
  // per match costs as much as the checks.
  matched.reserve(end - start);
  const first = matched.length;
  const { ids: matchIds, provider: matchProvider, at: matchAt, price: matchPrice } = matched;
  let n = first;
  let machines = 0;
  let reference = matched.reference;
  let read = 0;
  let failedCores = 0;
  let failedThreads = 0;
  let failedMemory = 0;
  let failedCurrency = 0;
  let failedPrice = 0;
  for (let i = start; i < end; i++) {
    const at = i * ROW_SIZE;
    if (marks !== null && (marks[rows[at + ROW_PROVIDER]!] === generation) !== marked) continue;
    read++;
    if (rows[at + ROW_CORES]! < cores) { failedCores++; continue; }
    if (rows[at + ROW_THREADS]! < threads) { failedThreads++; continue; }
    if (rows[at + ROW_MEMORY]! < memory) { failedMemory++; continue; }
    const perUnit = rate[rows[at + ROW_FLAGS]! >> CURRENCY_SHIFT]!;
    // NaN when no rate converts it, as recordMatch has it.
    const converted = rows[at + ROW_PRICE]! * perUnit;
    if (price) {
      if (Number.isNaN(perUnit)) { failedCurrency++; continue; }
      if (converted > maxPrice) { failedPrice++; continue; }
    }
    matchIds[n] = ids === null ? i : ids[i]!;
    matchProvider[n] = rows[at + ROW_PROVIDER]!;
    matchAt[n] = at;
    matchPrice[n] = converted;
    n++;
    machines += rows[at + ROW_AVAILABLE]!;
    reference = cheaperReference(reference, converted);
  }
  matched.source.fill(source, first, n);
  matched.length = n;
  matched.machines += machines;
  matched.reference = reference;
  counts[CORES]! += failedCores;
  counts[THREADS]! += failedThreads;
  counts[MEMORY]! += failedMemory;
  counts[CURRENCY]! += failedCurrency;
  counts[PRICE]! += failedPrice;
  return read;
}

/**
 * scanSimple for its commonest call: a sorted list of only passing providers, from
 * `start` to its end. The same loop without the provider and class-number branches:
 * V8 does not take loop-invariant branches out of a loop, and here they cost a quarter.
 */
export function scanSimpleList(
  cq: CompiledQuery, ids: Int32Array, rows: Float64Array, start: number, source: number,
  counts: Float64Array, matched: MatchBuffer,
): void {
  const { cores, threads, memory, price } = cq.check;
  const rate = cq.rate;
  const maxPrice = cq.maxPrice;
  const end = ids.length;
  matched.reserve(end - start);
  const first = matched.length;
  const { ids: matchIds, provider: matchProvider, at: matchAt, price: matchPrice } = matched;
  let n = first;
  let machines = 0;
  let reference = matched.reference;
  let failedCores = 0;
  let failedThreads = 0;
  let failedMemory = 0;
  let failedCurrency = 0;
  let failedPrice = 0;
  for (let i = start; i < end; i++) {
    const at = i * ROW_SIZE;
    if (rows[at + ROW_CORES]! < cores) { failedCores++; continue; }
    if (rows[at + ROW_THREADS]! < threads) { failedThreads++; continue; }
    if (rows[at + ROW_MEMORY]! < memory) { failedMemory++; continue; }
    const perUnit = rate[rows[at + ROW_FLAGS]! >> CURRENCY_SHIFT]!;
    const converted = rows[at + ROW_PRICE]! * perUnit;
    if (price) {
      if (Number.isNaN(perUnit)) { failedCurrency++; continue; }
      if (converted > maxPrice) { failedPrice++; continue; }
    }
    matchIds[n] = ids[i]!;
    matchProvider[n] = rows[at + ROW_PROVIDER]!;
    matchAt[n] = at;
    matchPrice[n] = converted;
    n++;
    machines += rows[at + ROW_AVAILABLE]!;
    reference = cheaperReference(reference, converted);
  }
  matched.source.fill(source, first, n);
  matched.length = n;
  matched.machines += machines;
  matched.reference = reference;
  counts[CORES]! += failedCores;
  counts[THREADS]! += failedThreads;
  counts[MEMORY]! += failedMemory;
  counts[CURRENCY]! += failedCurrency;
  counts[PRICE]! += failedPrice;
}
