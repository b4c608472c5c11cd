/**
 * The reference placement: every rule on every class, straight from the provider model,
 * no index. `place` must give the same result; the tests and the benchmark hold it to that.
 */
import type { MachineClass, Provider } from '../provider.ts';
import { compareStrings, normalizeRequest, type NormalizedRequest, type PlacementRequest } from './request.ts';
import { orderProviders } from './registry-order.ts';
import {
  assembleResult, CLOSEST_MISSES, compareMissDistance, emptyRuleCounts, machineCount, makeSummary,
  type ClosestMiss, type PlacementResult, type RankedEntry, type Rejection,
} from './result.ts';
import {
  convertedPrice, diskTotal, failingRules, firstFailingRule, matchingGpuCount, missShortfall, rejectionReason,
} from './rules.ts';
import {
  baseScore, cheaperReference, fitNeeds, fitValue, NO_PRICE_REFERENCE, priceValue, spreadValue, totalScore,
} from './scoring.ts';

/** Throws PlacementRequestError (validateRequest) for a bad request, DuplicateIdError for a registry with a repeated id. */
export function placeLinear(providers: readonly Provider[], req: PlacementRequest): PlacementResult {
  const q = normalizeRequest(req);
  const ordered = orderProviders(providers);
  const counts = emptyRuleCounts();
  const matched: Array<{ provider: Provider; machine: MachineClass; providerKey: number }> = [];
  const rejected: Array<{ provider: Provider; machine: MachineClass; rejection: Rejection }> = [];
  let considered = 0;
  ordered.forEach(({ provider, machines }, providerKey) => {
    for (const machine of machines) {
      considered++;
      const rule = firstFailingRule(q, provider, machine);
      if (rule === undefined) {
        matched.push({ provider, machine, providerKey });
        continue;
      }
      counts[rule]++;
      if (q.explain) {
        const rejection = { providerId: provider.id, classId: machine.id, rule, reason: rejectionReason(rule, q, provider, machine) };
        rejected.push({ provider, machine, rejection });
      }
    }
  });

  const prices = matched.map(({ provider, machine }) => convertedPrice(q, provider, machine) ?? NaN);
  const reference = prices.reduce(cheaperReference, NO_PRICE_REFERENCE);
  const needs = fitNeeds(q);
  const scored = matched.map(({ provider, machine, providerKey }, i) => {
    const fit = fitValue(
      needs, machine.cpu.cores, machine.cpu.threads, machine.memory_gib,
      q.disk === undefined ? 0 : diskTotal(machine, q.disk.type),
      q.gpu === undefined ? 0 : matchingGpuCount(machine, q.gpu),
    );
    const priceTerm = priceValue(prices[i]!, reference);
    return { provider, machine, providerKey, fit, price: prices[i], priceTerm, base: baseScore(fit, priceTerm) };
  });
  const spreadRank = q.spread ? rankWithinProviders(scored) : undefined;
  const entries: RankedEntry[] = scored.map((s, i) => {
    const spread = spreadRank === undefined ? undefined : spreadValue(spreadRank[i]!);
    return {
      provider: s.provider, machine: s.machine, providerKey: s.providerKey, available: machineCount(s.machine),
      fit: s.fit, price: Number.isNaN(s.price) ? undefined : s.price, priceTerm: s.priceTerm, spread,
      score: totalScore(s.fit, s.priceTerm, spread ?? NaN),
    };
  });
  entries.sort((a, b) => b.score - a.score
    || compareStrings(a.provider.id, b.provider.id) || compareStrings(a.machine.id, b.machine.id));

  const machinesMatched = entries.reduce((sum, e) => sum + e.available, 0);
  const summary = makeSummary(ordered.length, considered, matched.length, counts, machinesMatched);
  const explained = q.explain
    ? { rejected: rejected.map((r) => r.rejection), closestMisses: closestMisses(q, rejected) }
    : undefined;
  return assembleResult(q, { prefix: () => ({ entries, complete: true }) }, summary, explained);
}

/** 0 for each provider's best class by fit and price (ties: class id), 1 for its next… */
function rankWithinProviders(scored: ReadonlyArray<{ providerKey: number; machine: MachineClass; base: number }>): number[] {
  const byProvider = new Map<number, number[]>();
  scored.forEach((s, i) => {
    const list = byProvider.get(s.providerKey);
    if (list === undefined) byProvider.set(s.providerKey, [i]);
    else list.push(i);
  });
  const ranks = new Array<number>(scored.length);
  for (const list of byProvider.values()) {
    list.sort((a, b) => scored[b]!.base - scored[a]!.base || compareStrings(scored[a]!.machine.id, scored[b]!.machine.id));
    list.forEach((i, rank) => { ranks[i] = rank; });
  }
  return ranks;
}

function closestMisses(
  q: NormalizedRequest,
  rejected: ReadonlyArray<{ provider: Provider; machine: MachineClass; rejection: Rejection }>,
): ClosestMiss[] {
  // `rejected` is in provider id, class id order and the sort is stable, so ties keep it.
  return rejected
    .map((r) => {
      const failed = failingRules(q, r.provider, r.machine);
      return { ...r, failed, failedRules: failed.length, shortfall: missShortfall(q, r.provider, r.machine, failed) };
    })
    .sort(compareMissDistance)
    .slice(0, CLOSEST_MISSES)
    .map((r) => ({
      providerId: r.provider.id,
      classId: r.machine.id,
      failedRules: r.failedRules,
      shortfall: r.shortfall,
      failures: r.failed.map((rule) => ({ rule, reason: rejectionReason(rule, q, r.provider, r.machine) })),
    }));
}
