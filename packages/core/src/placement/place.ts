/**
 * Placement on a {@link PlacementIndex}: the same filters, counts and scores as
 * `placeLinear`, reading only about what the request can still pass.
 *
 * Without `explain`, a request runs in three steps:
 * 1. Provider-level rules (provider, region, country, image) start from the provider
 *    list of the earliest of them the request asks (pinned providers, its regions,
 *    countries or image) and count every class outside it in one subtraction, under the
 *    rule it fails first. Regions alone or countries alone need no per-provider work.
 * 2. The class-level rules read either the passing providers' own rows, or, when that
 *    reads fewer classes, the list of the first class-level rule the request asks after
 *    arch (GPU model, cores, threads, memory, disk, tag) from its binary-searched start,
 *    within the request's regions or countries when that is shorter. What a list skips
 *    failed exactly that rule, since everything before it passed: its count is a
 *    subtraction too. The classes read are checked against the later rules one by one.
 * 3. The matches' prices are converted as they are found; then only the best `limit`
 *    are ranked, computing a fit only where the price leaves a chance (rank.ts).
 * Every count is exact, while the classes read are about those passing the provider
 * rules and the first class-level one: a request whose first rules let most of the
 * registry through still reads most of it. With `explain`, every class is visited,
 * since every rejected class is listed with its first rule and reason.
 *
 * One index answers one request at a time (it keeps scratch space); nothing in a result
 * refers to that space.
 */
import { compile } from './compiled-query.ts';
import { scanEverything } from './explain-scan.ts';
import { scanIndexed } from './indexed-scan.ts';
import type { PlacementIndex } from './placement-index.ts';
import { ranker } from './rank.ts';
import { normalizeRequest, type PlacementRequest } from './request.ts';
import { assembleResult, makeSummary, type PlacementResult } from './result.ts';
import { RULES, type RuleId } from './rules.ts';

/** Throws PlacementRequestError (validateRequest) for a bad request. */
export function place(index: PlacementIndex, req: PlacementRequest): PlacementResult {
  const q = normalizeRequest(req);
  const cq = compile(index, q);
  const counts = index.scratch.counts.fill(0);
  const explained = q.explain ? scanEverything(cq, counts) : undefined;
  const matched = explained?.matched ?? scanIndexed(cq, counts);
  const rejectedByRule = Object.fromEntries(RULES.map((rule, i) => [rule, counts[i]!])) as Record<RuleId, number>;
  const summary = makeSummary(index.providerCount, index.classCount, matched.length, rejectedByRule, matched.machines);
  return assembleResult(q, ranker(cq, matched), summary, explained);
}
