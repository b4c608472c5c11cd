/**
 * "Did you mean …?" for unknown keys: the known key closest to a misspelt one.
 */

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known key nearest to `unknown` within `maxDistance` edits, comparing without
 * case; on a tie the first in `known` wins, so suggestions are stable. A short key may
 * differ in at most half its characters: two edits turn "t" into "id", which is no hint.
 */
export function closestKey(unknown: string, known: readonly string[], maxDistance = 2): string | undefined {
  const wanted = unknown.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(maxDistance, Math.floor(unknown.length / 2)) + 1;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
