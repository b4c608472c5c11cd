/** What one benchmark hands the runner: a titled section of RESULTS.md. */
export interface BenchSection {
  title: string;
  /** Markdown: a sentence on what was measured, then a table. */
  markdown: string;
}

/** Percentile of an ascending-sorted list (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function ms(value: number, digits = 1): string {
  return `${value.toFixed(digits)} ms`;
}
