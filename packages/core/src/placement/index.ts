/**
 * Placement: which provider and machine class fit a request, ranked and explained.
 * Filters (RULES, first failure reported) then scores (fit, price, spread), like a
 * cluster scheduler. `buildPlacementIndex` once, then `place` per request; `placeLinear`
 * is the plain reference scan it must agree with.
 */
export { place } from './place.ts';
export { placeLinear } from './linear.ts';
export { buildPlacementIndex, type PlacementIndex } from './placement-index.ts';
export { validateRequest, DEFAULT_CURRENCY, DEFAULT_LIMIT, MAX_COUNT, type PlacementRequest } from './request.ts';
export { RULES, type RuleId } from './rules.ts';
export { FIT_WEIGHT, PRICE_WEIGHT, SPREAD_WEIGHT, type ScoreTerm, type ScoreTermName } from './scoring.ts';
export { CLOSEST_MISSES } from './result.ts';
export type {
  Assignment, CandidatePrice, ClosestMiss, PlacementCandidate, PlacementResult, PlacementSummary, ProviderSummary,
  Rejection, RuleFailure, Unsatisfied,
} from './result.ts';
export { DuplicateIdError, PlacementRequestError } from './errors.ts';
