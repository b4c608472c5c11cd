import { describe, expect, it } from 'vitest';
import type { ProviderSource } from '@nimbus/core';
import { providerToml } from '../../../../test/support/registry-fixtures.ts';
import { PARALLEL_THRESHOLD, parseSources } from './parse-parallel.ts';

describe('parseSources', () => {
  it('gives the same results, in the same order, on worker threads as inline', async () => {
    const encoder = new TextEncoder();
    const sources: ProviderSource[] = Array.from({ length: PARALLEL_THRESHOLD + 101 }, (_, i) => {
      const id = `p${String(i).padStart(5, '0')}`;
      // Every 97th file is broken, so problems cross the thread boundary too.
      const text = i % 97 === 0 ? providerToml(id).replace('cores = 16', 'cores = 0') : providerToml(id);
      return { path: `providers/${id}.toml`, bytes: encoder.encode(text) };
    });
    const inline = await parseSources(sources, 1);
    const threaded = await parseSources(sources, 2);
    expect(threaded).toEqual(inline);
    expect(inline.filter((r) => r.provider === null)).toHaveLength(Math.ceil(sources.length / 97));
    expect(JSON.parse(inline[0]!.problems)[0]).toMatchObject({ code: 'out-of-range', file: 'providers/p00000.toml' });
  });
});
