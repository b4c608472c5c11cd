/**
 * Scores for the classes that passed every filter. Each term is a value in [0, 1]
 * (higher is better) times a named weight; the total is their sum. Both placement
 * paths call these same functions with the same numbers, so their scores are equal
 * to the last bit.
 */
import type { NormalizedRequest } from './request.ts';

/**
 * Best fit (least waste). Equal to the price weight: a machine twice the size for the
 * same money loses to the right-sized one, a right-sized one at twice the price loses
 * to a bigger cheap one.
 */
export const FIT_WEIGHT = 1;
/** Cheapness relative to the cheapest match. */
export const PRICE_WEIGHT = 1;
/**
 * Spread (count > 1 only). Smaller than the others: it orders a provider's second-best
 * class behind other providers' comparable ones, but does not bury a much better
 * machine. The assignments spread machines round-robin over providers regardless.
 */
export const SPREAD_WEIGHT = 0.5;

// Module-private copies for the functions below (see class-rows.ts on exported bindings).
const WEIGHT_OF_FIT = FIT_WEIGHT;
const WEIGHT_OF_PRICE = PRICE_WEIGHT;
const WEIGHT_OF_SPREAD = SPREAD_WEIGHT;

export type ScoreTermName = 'fit' | 'price' | 'spread';

/** One term of a candidate's score: its contribution to the total is value × weight. */
export interface ScoreTerm {
  name: ScoreTermName;
  value: number;
  weight: number;
}

/** The sizes the fit compares with: what the request asks for, 0 where it asks nothing. */
export interface FitNeeds {
  cores: number;
  threads: number;
  memoryGib: number;
  diskGb: number;
  /** Matching GPUs (at least 1 when the request asks for a GPU). */
  gpus: number;
  /** How many of the above are asked for. */
  dimensions: number;
}

export function fitNeeds(q: NormalizedRequest): FitNeeds {
  const needs = {
    cores: q.minCores,
    threads: q.minThreads,
    memoryGib: q.minMemoryGib,
    diskGb: q.disk?.minSizeGb ?? 0,
    gpus: q.gpu?.minCount ?? 0,
  };
  return { ...needs, dimensions: Object.values(needs).filter((need) => need > 0).length };
}

/**
 * 1 minus the mean waste over the dimensions the request asks for, where waste is the
 * share of the machine left unused: (has − needs) / has. A 4-core request scores 1 on
 * a 4-core machine and 0.03 on a 128-core one. A request that asks for no size scores 1.
 * `diskGb` is the class's total of the requested disk type (all disks when no type) and
 * `gpus` its GPUs that match the request; positional so the hot loop allocates nothing.
 */
export function fitValue(needs: FitNeeds, cores: number, threads: number, memoryGib: number, diskGb: number, gpus: number): number {
  if (needs.dimensions === 0) return 1;
  let waste = 0;
  if (needs.cores > 0) waste += (cores - needs.cores) / cores;
  if (needs.threads > 0) waste += (threads - needs.threads) / threads;
  if (needs.memoryGib > 0) waste += (memoryGib - needs.memoryGib) / memoryGib;
  if (needs.diskGb > 0) waste += (diskGb - needs.diskGb) / diskGb;
  if (needs.gpus > 0) waste += (gpus - needs.gpus) / gpus;
  return 1 - waste / needs.dimensions;
}

/** Starts the search for the cheapest positive price; fold prices in with {@link cheaperReference}. */
export const NO_PRICE_REFERENCE = Infinity;

/**
 * The price the others are measured against: the lowest positive converted price of the
 * matches. Prices here are numbers with NaN for "no rate converts it", so the hot loop
 * never mixes numbers and undefined.
 */
export function cheaperReference(reference: number, price: number): number {
  return price > 0 && price < reference ? price : reference;
}

/**
 * reference / price: 1 for the cheapest match (and for a free one), 0.5 for one at twice
 * its price. A class whose currency has no rate (NaN) scores 0, the worst.
 */
export function priceValue(price: number, reference: number): number {
  if (Number.isNaN(price)) return 0;
  return price <= 0 ? 1 : reference / price;
}

/** 1 for a provider's best class, 1/2 for its second, 1/3 for its third… (rank 0-based). */
export function spreadValue(rankInProvider: number): number {
  return 1 / (1 + rankInProvider);
}

/** Fit and price only: what orders the classes of one provider for the spread term. */
export function baseScore(fit: number, price: number): number {
  return WEIGHT_OF_FIT * fit + WEIGHT_OF_PRICE * price;
}

/** `spread` is NaN when the request does not spread. */
export function totalScore(fit: number, price: number, spread: number): number {
  const base = baseScore(fit, price);
  return Number.isNaN(spread) ? base : base + WEIGHT_OF_SPREAD * spread;
}

export function scoreTerms(fit: number, price: number, spread: number | undefined): ScoreTerm[] {
  const terms: ScoreTerm[] = [
    { name: 'fit', value: fit, weight: FIT_WEIGHT },
    { name: 'price', value: price, weight: PRICE_WEIGHT },
  ];
  if (spread !== undefined) terms.push({ name: 'spread', value: spread, weight: SPREAD_WEIGHT });
  return terms;
}
