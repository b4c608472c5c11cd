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
import { CLOSEST_MISSES, type ClosestMiss, type Rejection } from './result.ts';
import { failingRules, rejectionReason, RULE_NUMBER, RULES } from './rules.ts';

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

/** The rejected classes that failed the fewest rules; ties in class order. Counts only what it must. */
function closestMisses(cq: CompiledQuery, rejectedClasses: readonly number[]): ClosestMiss[] {
  const ix = cq.ix;
  const closest: Array<{ c: number; failed: number }> = [];
  const worstKept = (): number => (closest.length < CLOSEST_MISSES ? Infinity : closest[CLOSEST_MISSES - 1]!.failed);
  let provider = -1;
  let providerFailed = 0;
  for (const c of rejectedClasses) {
    if (ix.classProvider[c] !== provider) {
      provider = ix.classProvider[c]!;
      providerFailed = providerFailureCount(cq, provider);
    }
    if (providerFailed >= worstKept()) continue;
    const failed = providerFailed + classFailureCount(cq, c);
    if (failed >= worstKept()) continue;
    let j = Math.min(closest.length, CLOSEST_MISSES - 1);
    while (j > 0 && closest[j - 1]!.failed > failed) {
      closest[j] = closest[j - 1]!;
      j--;
    }
    closest[j] = { c, failed };
  }
  return closest.map(({ c }): ClosestMiss => {
    const provider = ix.providers[ix.classProvider[c]!]!;
    const machine = ix.machines[c]!;
    const failures = failingRules(cq.q, provider, machine)
      .map((rule) => ({ rule, reason: rejectionReason(rule, cq.q, provider, machine) }));
    return { providerId: provider.id, classId: machine.id, failedRules: failures.length, failures };
  });
}
