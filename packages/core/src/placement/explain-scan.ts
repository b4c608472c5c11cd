/**
 * Placement with `explain`: every class is visited, since every rejected one is listed
 * with the first rule it failed and why, and the closest misses with all they failed.
 */
import {
  classFailure, classFailureCount, providerFailure, providerFailureCount, type CompiledQuery,
} from './compiled-query.ts';
import { ROW } from './class-rows.ts';
import type { MatchBuffer } from './matches.ts';
import { recordMatch } from './rank.ts';
import { CLOSEST_MISSES, compareMissDistance, type ClosestMiss, type Rejection } from './result.ts';
import { failingRules, missShortfall, rejectionReason, RULE_NUMBER, RULES, type RuleId } from './rules.ts';

const { none: PASS } = RULE_NUMBER;

export interface ExplainedScan {
  matched: MatchBuffer;
  rejected: Rejection[];
  closestMisses: ClosestMiss[];
}

/** Adds the rejected classes to `counts` by first failing rule, and lists them in class order. */
export function scanEverything(cq: CompiledQuery, counts: Float64Array): ExplainedScan {
  const ix = cq.ix;
  const matched = ix.scratch.matches.reset();
  const source = matched.addSource(ix.rows);
  const rejectedClasses: number[] = [];
  const rejectedRules: number[] = [];
  for (let p = 0; p < ix.providerCount; p++) {
    const providerRule = providerFailure(cq, p);
    for (let c = ix.classStart[p]!; c < ix.classStart[p + 1]!; c++) {
      const rule = providerRule === PASS ? classFailure(cq, c, ix.rows, c * ROW.size) : providerRule;
      if (rule === PASS) {
        recordMatch(cq, matched, c, source, ix.rows, c * ROW.size);
      } else {
        counts[rule]!++;
        rejectedClasses.push(c);
        rejectedRules.push(rule);
      }
    }
  }
  const rejected = rejectedClasses.map((c, i): Rejection => {
    const provider = ix.providers[ix.classProvider[c]!]!;
    const machine = ix.machines[c]!;
    const rule = RULES[rejectedRules[i]!]!;
    return { providerId: provider.id, classId: machine.id, rule, reason: rejectionReason(rule, cq.q, provider, machine) };
  });
  return { matched, rejected, closestMisses: closestMisses(cq, rejectedClasses) };
}

/**
 * The rejected classes that failed the fewest rules, nearest first (compareMissDistance);
 * equal ones in class order. Counts failures on the index, and works out a class's
 * shortfall only when its count could earn it a place.
 */
function closestMisses(cq: CompiledQuery, rejectedClasses: readonly number[]): ClosestMiss[] {
  const ix = cq.ix;
  const closest: Array<{ c: number; failed: readonly RuleId[]; failedRules: number; shortfall: number }> = [];
  const worstKept = () => (closest.length < CLOSEST_MISSES ? undefined : closest[CLOSEST_MISSES - 1]!);
  let provider = -1;
  let providerFailed = 0;
  for (const c of rejectedClasses) {
    if (ix.classProvider[c] !== provider) {
      provider = ix.classProvider[c]!;
      providerFailed = providerFailureCount(cq, provider);
    }
    const worst = worstKept();
    if (worst !== undefined && providerFailed > worst.failedRules) continue;
    const failedRules = providerFailed + classFailureCount(cq, c);
    if (worst !== undefined && failedRules > worst.failedRules) continue;
    const p = ix.providers[provider]!;
    const machine = ix.machines[c]!;
    const failed = failingRules(cq.q, p, machine);
    const miss = { c, failed, failedRules, shortfall: missShortfall(cq.q, p, machine, failed) };
    // A miss no nearer than the worst kept stays out: that one came first in class order.
    if (worst !== undefined && compareMissDistance(miss, worst) >= 0) continue;
    let j = Math.min(closest.length, CLOSEST_MISSES - 1);
    while (j > 0 && compareMissDistance(closest[j - 1]!, miss) > 0) {
      closest[j] = closest[j - 1]!;
      j--;
    }
    closest[j] = miss;
  }
  return closest.map(({ c, failed, failedRules, shortfall }): ClosestMiss => {
    const provider = ix.providers[ix.classProvider[c]!]!;
    const machine = ix.machines[c]!;
    const failures = failed.map((rule) => ({ rule, reason: rejectionReason(rule, cq.q, provider, machine) }));
    return { providerId: provider.id, classId: machine.id, failedRules, shortfall, failures };
  });
}
