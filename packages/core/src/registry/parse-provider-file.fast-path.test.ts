/**
 * A valid file must not pay for a position syntax tree: only files with problems are
 * parsed a second time, by toml-eslint-parser, to place them.
 */
import { parseTOML } from 'toml-eslint-parser';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseProviderFile } from './parse-provider-file.ts';
import { ACME_TOML, source } from './testdata/acme.ts';

vi.mock('toml-eslint-parser', async (importOriginal) => {
  const actual = await importOriginal<typeof import('toml-eslint-parser')>();
  return { ...actual, parseTOML: vi.fn(actual.parseTOML) };
});

describe('parseProviderFile fast path', () => {
  beforeEach(() => {
    vi.mocked(parseTOML).mockClear();
  });

  it('builds no position tree for a valid file', () => {
    expect(parseProviderFile(source(ACME_TOML)).problems).toEqual([]);
    expect(parseTOML).not.toHaveBeenCalled();
  });

  it('builds it once for a file with problems', () => {
    const parsed = parseProviderFile(source(ACME_TOML.replace('cores = 64', 'cores = 0').replace('port = 2222', 'port = 0')));
    expect(parsed.problems.map((p) => `${p.line}:${p.col}`)).toEqual(['18:8', '49:9']);
    expect(parseTOML).toHaveBeenCalledTimes(1);
  });
});
