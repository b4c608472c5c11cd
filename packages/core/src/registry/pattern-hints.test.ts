import { describe, expect, it } from 'vitest';
import schema from '@nimbus/registry-schema/provider.schema.json' with { type: 'json' };
import { patternHint } from './pattern-hints.ts';

function patternsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(patternsIn);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'pattern' && typeof value === 'string' ? [value] : patternsIn(value),
  );
}

describe('patternHint', () => {
  const patterns = patternsIn(schema);

  it('finds the patterns of the schema', () => {
    expect(patterns.length).toBeGreaterThanOrEqual(10);
  });

  it.each(patterns)('has words for %s', (pattern) => {
    expect(patternHint(pattern)).toMatch(/\w/);
  });
});
