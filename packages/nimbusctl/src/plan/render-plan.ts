import { RULES, type PlacementCandidate, type PlacementResult } from '@nimbus/core';
import { describeHardware } from '../render/provider.ts';
import { renderTable } from '@nimbus/core';

/** How many rejected classes `--explain` prints before pointing at `--json`. */
export const MAX_REJECTED_SHOWN = 40;

function price(c: PlacementCandidate): string {
  const own = `${c.price.perHour.toFixed(2)} ${c.price.currency}`;
  if (c.price.currency === c.price.convertedCurrency) return own;
  return c.price.converted === null ? `${own} (no rate)` : `${own} (≈${c.price.converted.toFixed(2)} ${c.price.convertedCurrency})`;
}

function terms(c: PlacementCandidate): string {
  return c.terms.map((t) => `${t.name} ${t.value.toFixed(2)}×${t.weight}`).join(' + ');
}

export function renderCandidates(result: PlacementResult): string {
  if (result.candidates.length === 0) return 'No machine matches the request.';
  return renderTable(
    ['#', 'PROVIDER', 'CLASS', 'REGION', 'AVAIL', 'PRICE/H', 'SCORE', 'TERMS', 'HARDWARE'],
    result.candidates.map((c, i) => [
      String(i + 1),
      c.providerId,
      c.classId,
      `${c.provider.region} ${c.provider.country}`,
      String(c.available),
      price(c),
      c.score.toFixed(3),
      terms(c),
      describeHardware(c.machine),
    ]),
  );
}

export function renderAssignments(result: PlacementResult, count: number): string {
  const lines = result.assignments.map((a) => `  ${a.machines} × ${a.providerId}/${a.classId} (candidate #${a.candidate + 1})`);
  const head = `Placement of ${count} machine${count === 1 ? '' : 's'}:`;
  const tail = result.unsatisfied ? [`  unsatisfied: ${result.unsatisfied.reason}`] : [];
  return [head, ...(lines.length ? lines : ['  none']), ...tail].join('\n');
}

/** The `--explain` part: counts by rule, every rejected class (up to a limit), the closest misses. */
export function renderExplanation(result: PlacementResult): string {
  const s = result.summary;
  const byRule = RULES.filter((r) => s.rejectedByRule[r] > 0).map((r) => `${r} ${s.rejectedByRule[r]}`);
  const out = [
    `Considered ${s.considered} machine classes of ${s.providers} providers: ${s.matched} match, ${s.rejected} rejected${byRule.length ? ` (first failing rule: ${byRule.join(', ')})` : ''}.`,
  ];
  const rejected = result.rejected ?? [];
  if (rejected.length > 0) {
    out.push('', 'Rejected:');
    out.push(
      renderTable(
        ['PROVIDER', 'CLASS', 'RULE', 'WHY'],
        rejected.slice(0, MAX_REJECTED_SHOWN).map((r) => [r.providerId, r.classId, r.rule, r.reason]),
      ),
    );
    if (rejected.length > MAX_REJECTED_SHOWN) out.push(`… and ${rejected.length - MAX_REJECTED_SHOWN} more (--json lists them all)`);
  }
  const misses = result.closestMisses ?? [];
  if (result.candidates.length === 0 && misses.length > 0) {
    out.push('', 'Closest misses, nearest first (what would have to give):');
    for (const m of misses) {
      const off = `${m.failedRules} rule${m.failedRules === 1 ? '' : 's'} failed, shortfall ${m.shortfall.toFixed(2)}`;
      out.push(`  ${m.providerId}/${m.classId} (${off}): ${m.failures.map((f) => `${f.rule}: ${f.reason}`).join('; ')}`);
    }
  }
  return out.join('\n');
}
