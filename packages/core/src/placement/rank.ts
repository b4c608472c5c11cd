/**
 * Scores the matches the index found and ranks only as deep as asked. For the best
 * `limit` (up to INSERTION_LIMIT), a match is scored only when its price could still
 * lift it among the best so far (fit and spread are at most 1); deeper prefixes, which
 * only large `count`s ask for, score and sort everything.
 */
import { FLAGS, ROW } from './class-rows.ts';
import { matchingGpus, type CompiledQuery } from './compiled-query.ts';
import type { MatchBuffer } from './matches.ts';
import type { RankedEntry, RankedPrefix, Ranking } from './result.ts';
import { baseScore, fitValue, priceValue, spreadValue, totalScore } from './scoring.ts';

const { cores: ROW_CORES, threads: ROW_THREADS, memory: ROW_MEMORY, price: ROW_PRICE, available: ROW_AVAILABLE, flags: ROW_FLAGS,
  provider: ROW_PROVIDER } = ROW;
const { currencyShift: CURRENCY_SHIFT } = FLAGS;

/** Above this many, the best are found by scoring and sorting everything rather than by insertion. */
const INSERTION_LIMIT = 64;

/** Adds a matching class with its converted price and machines, read while the scan has its row at hand. */
export function recordMatch(cq: CompiledQuery, matches: MatchBuffer, c: number, source: number, rows: Float64Array, at: number): void {
  const rate = cq.rate[rows[at + ROW_FLAGS]! >> CURRENCY_SHIFT]!;
  matches.push(c, rows[at + ROW_PROVIDER]!, source, at, Number.isNaN(rate) ? NaN : rows[at + ROW_PRICE]! * rate, rows[at + ROW_AVAILABLE]!);
}

export function ranker(cq: CompiledQuery, matches: MatchBuffer): Ranking {
  return new IndexRanking(cq, matches);
}

/** The fit of match i, from its row. */
function fitOf(cq: CompiledQuery, matches: MatchBuffer, i: number): number {
  const rows = matches.sources[matches.source[i]!]!;
  const at = matches.at[i]!;
  const c = matches.ids[i]!;
  return fitValue(
    cq.needs, rows[at + ROW_CORES]!, rows[at + ROW_THREADS]!, rows[at + ROW_MEMORY]!,
    cq.diskTotals === null ? 0 : cq.diskTotals[c]!,
    cq.gpuAsked ? matchingGpus(cq, c) : 0,
  );
}

/** The matches, ranked as deep as asked. */
class IndexRanking implements Ranking {
  readonly cq: CompiledQuery;
  readonly matches: MatchBuffer;
  private scoredAll = false;
  /** With spread: the providers with matches, in order of their first, once linked. */
  private providers: number[] | null = null;

  constructor(cq: CompiledQuery, matches: MatchBuffer) {
    this.cq = cq;
    this.matches = matches;
  }

  prefix(wanted: number): RankedPrefix {
    const { ix, q } = this.cq;
    const matches = this.matches;
    const m = matches.length;
    const k = Math.min(wanted, m);
    let positions: number[];
    if (!this.scoredAll && k <= INSERTION_LIMIT) {
      positions = bestPruned(this.cq, matches, k, q.spread ? this.linked() : null);
    } else {
      this.scoreAll();
      positions = best(matches.total, matches.ids, m, k);
    }
    const { ids, source, at, sources, fit, price, priceTerm, spread, total } = matches;
    const entries: RankedEntry[] = [];
    for (const i of positions) {
      const c = ids[i]!;
      const p = matches.provider[i]!;
      entries.push({
        provider: ix.providers[p]!,
        machine: ix.machines[c]!,
        providerKey: p,
        available: sources[source[i]!]![at[i]! + ROW_AVAILABLE]!,
        fit: fit[i]!,
        price: Number.isNaN(price[i]!) ? undefined : price[i]!,
        priceTerm: priceTerm[i]!,
        spread: q.spread ? spread[i]! : undefined,
        score: total[i]!,
      });
    }
    return { entries, complete: k === m };
  }

  private linked(): number[] {
    this.providers ??= linkByProvider(this.cq, this.matches);
    return this.providers;
  }

  private scoreAll(): void {
    if (this.scoredAll) return;
    this.scoredAll = true;
    priceTerms(this.matches);
    if (this.cq.q.spread) {
      const group: number[] = [];
      for (const p of this.linked()) scoreProviderGroup(this.cq, this.matches, p, group);
    } else {
      fitsAndTotals(this.cq, this.matches);
    }
  }
}

// The loops below are functions of their own so that each is optimised on its own,
// not inside a caller that has not yet run its code after the loop.

function priceTerms(matches: MatchBuffer): void {
  const { price, priceTerm, reference } = matches;
  for (let i = 0; i < matches.length; i++) priceTerm[i] = priceValue(price[i]!, reference);
}

function fitsAndTotals(cq: CompiledQuery, matches: MatchBuffer): void {
  const { fit, priceTerm, total } = matches;
  for (let i = 0; i < matches.length; i++) {
    fit[i] = fitOf(cq, matches, i);
    total[i] = totalScore(fit[i]!, priceTerm[i]!, NaN);
  }
}

/**
 * The k best matches, best first, scoring only those that can still make it: fit and
 * spread are at most 1, so a match whose total with both at 1 is below the k-th best so
 * far cannot enter. Rounding is monotone, so the bound holds in floating point too and
 * the answer is exactly that of scoring everything. With spread (`providers` given), a
 * match's provider has all its matches scored at once, since its spread term is its rank
 * among them.
 */
function bestPruned(cq: CompiledQuery, matches: MatchBuffer, k: number, providers: number[] | null): number[] {
  const { ids, price, priceTerm, fit, total, reference } = matches;
  const spreading = providers !== null;
  const scored = cq.ix.scratch.groupScored;
  const generation = cq.generation;
  const group: number[] = [];
  if (spreading) priceTerms(matches);
  const top: number[] = [];
  let worstTotal = -Infinity;
  let worstId = -1;
  for (let i = 0; i < matches.length; i++) {
    const term = spreading ? priceTerm[i]! : priceValue(price[i]!, reference);
    if (top.length === k && totalScore(1, term, spreading ? 1 : NaN) < worstTotal) continue;
    if (spreading) {
      const p = matches.provider[i]!;
      if (scored[p] !== generation) {
        scoreProviderGroup(cq, matches, p, group);
        scored[p] = generation;
      }
    } else {
      priceTerm[i] = term;
      fit[i] = fitOf(cq, matches, i);
      total[i] = totalScore(fit[i]!, term, NaN);
    }
    const t = total[i]!;
    if (top.length === k && (t < worstTotal || (t === worstTotal && ids[i]! > worstId))) continue;
    let j = top.length < k ? top.length : k - 1;
    if (top.length < k) top.push(i);
    while (j > 0 && better(total, ids, i, top[j - 1]!)) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
    if (top.length === k) {
      worstTotal = total[top[k - 1]!]!;
      worstId = ids[top[k - 1]!]!;
    }
  }
  return top;
}

/**
 * Links each provider's matches through scratch space (groupHead[p], then next[i], until
 * −1), so grouping costs no sort. Returns the providers in order of their first match.
 */
function linkByProvider(cq: CompiledQuery, matches: MatchBuffer): number[] {
  const { provider, next } = matches;
  const { groupHead, groupMark } = cq.ix.scratch;
  const generation = cq.generation;
  const providers: number[] = [];
  for (let i = 0; i < matches.length; i++) {
    const p = provider[i]!;
    if (groupMark[p] !== generation) {
      groupMark[p] = generation;
      groupHead[p] = -1;
      providers.push(p);
    }
    next[i] = groupHead[p]!;
    groupHead[p] = i;
  }
  return providers;
}

/**
 * Scores every match of provider p (price terms already set): its fit, its spread term
 * by its rank among them on fit and price, ties by class id (class numbers follow class
 * id within a provider), and its total. `group` is reused scratch.
 */
function scoreProviderGroup(cq: CompiledQuery, matches: MatchBuffer, p: number, group: number[]): void {
  const { fit, priceTerm, spread, total, next } = matches;
  group.length = 0;
  // Groups are small (a provider's matching classes): insertion sort, best first.
  for (let i = cq.ix.scratch.groupHead[p]!; i !== -1; i = next[i]!) {
    fit[i] = fitOf(cq, matches, i);
    let j = group.length;
    group.push(i);
    while (j > 0 && ranksBefore(matches, i, group[j - 1]!)) {
      group[j] = group[j - 1]!;
      j--;
    }
    group[j] = i;
  }
  for (let rank = 0; rank < group.length; rank++) {
    const i = group[rank]!;
    spread[i] = spreadValue(rank);
    total[i] = totalScore(fit[i]!, priceTerm[i]!, spread[i]!);
  }
}

/** Whether match a comes before match b among one provider's: higher fit and price, then lower class number. */
function ranksBefore(matches: MatchBuffer, a: number, b: number): boolean {
  const { fit, priceTerm, ids } = matches;
  const d = baseScore(fit[a]!, priceTerm[a]!) - baseScore(fit[b]!, priceTerm[b]!);
  return d > 0 || (d === 0 && ids[a]! < ids[b]!);
}

/** Whether match a ranks before match b overall: higher total, then lower class number. */
function better(total: Float64Array, ids: Int32Array, a: number, b: number): boolean {
  return total[a]! > total[b]! || (total[a] === total[b] && ids[a]! < ids[b]!);
}

/** Positions of the k best of the first m totals, best first; ties go to the lower class number. */
function best(total: Float64Array, ids: Int32Array, m: number, k: number): number[] {
  if (k === 0) return [];
  if (k > INSERTION_LIMIT || k * 8 >= m) {
    return Array.from({ length: m }, (_, i) => i).sort((a, b) => total[b]! - total[a]! || ids[a]! - ids[b]!).slice(0, k);
  }
  const top = new Array<number>(k).fill(0);
  let size = 0;
  // The k-th best so far, checked inline: most matches are worse and go no further.
  let worstTotal = -Infinity;
  let worstId = -1;
  for (let i = 0; i < m; i++) {
    if (size === k) {
      const t = total[i]!;
      if (t < worstTotal || (t === worstTotal && ids[i]! > worstId)) continue;
    }
    let j = size < k ? size++ : k - 1;
    while (j > 0 && better(total, ids, i, top[j - 1]!)) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
    worstTotal = total[top[size - 1]!]!;
    worstId = ids[top[size - 1]!]!;
  }
  return top;
}
