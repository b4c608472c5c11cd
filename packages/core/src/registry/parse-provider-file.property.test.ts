/**
 * Property: no input makes parseProviderFile throw, and every problem it reports is
 * well formed. Inputs come from a fixed-seed generator, so a failure reproduces.
 */
import { describe, expect, it } from 'vitest';
import { parseProviderFile, type ParsedProvider } from './parse-provider-file.ts';
import type { ProblemCode } from './problem.ts';
import { ACME_TOML } from './testdata/acme.ts';

const CODES: readonly ProblemCode[] = [
  'not-utf8', 'too-large', 'symlink', 'not-a-file', 'outside-providers', 'toml-syntax', 'unknown-key',
  'schema', 'out-of-range', 'id-mismatch', 'duplicate-provider', 'duplicate-machine', 'inconsistent', 'ownership',
];

// Pieces that make mutated text likely to stay TOML-shaped and reach the validator.
const FRAGMENTS = [
  '[', ']', '[[', ']]', '{', '}', '=', '"', "'", '"""', ',', '.', '\n', ' ', '#', '\\', 'inf', 'nan', '-0',
  '99999999999999999999', '1e999', '0x7f', '1979-05-27', 'true', '[machines.cpu]', '[[machines]]', 'cores = 0',
  'id = "x"', 'é', '😀', '\u0000', '\r\n', '__proto__ = 1', 'cpu.cores = 3', 'a.b.c = []',
];

/** mulberry32: a tiny deterministic generator, good enough to spread test inputs. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(next: () => number): Uint8Array {
  const bytes = new Uint8Array(Math.floor(next() * 400));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

function mutate(text: string, next: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(next() * 5);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (out.length + 1));
    const fragment = FRAGMENTS[Math.floor(next() * FRAGMENTS.length)] ?? '';
    const choice = next();
    if (choice < 0.3) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 20));
    else if (choice < 0.7) out = out.slice(0, at) + fragment + out.slice(at);
    else out = out.slice(0, at) + fragment + out.slice(at + fragment.length);
  }
  return out;
}

function expectWellFormed(parsed: ParsedProvider, path: string, lineCount: number): void {
  expect(parsed.path).toBe(path);
  expect(parsed.provider === undefined).toBe(parsed.problems.length > 0);
  for (const problem of parsed.problems) {
    expect(problem.file).toBe(path);
    expect(Number.isInteger(problem.line) && problem.line >= 1 && problem.line <= lineCount).toBe(true);
    expect(Number.isInteger(problem.col) && problem.col >= 1).toBe(true);
    expect(CODES).toContain(problem.code);
    expect(problem.message).not.toMatch(/undefined|\[object Object\]/);
    expect(problem.message.length).toBeGreaterThan(0);
  }
}

describe('parseProviderFile on generated input', () => {
  it('never throws on random bytes', () => {
    const next = generator(0x5eed);
    for (let i = 0; i < 500; i++) {
      const bytes = randomBytes(next);
      const parsed = parseProviderFile({ path: 'providers/acme.toml', bytes });
      expectWellFormed(parsed, 'providers/acme.toml', bytes.filter((b) => b === 0x0a).length + 1);
    }
  });

  it('never throws on a valid file with random edits, and finds problems in most of them', () => {
    const next = generator(0xacce55);
    let withProblems = 0;
    for (let i = 0; i < 1000; i++) {
      const text = mutate(ACME_TOML, next);
      const parsed = parseProviderFile({ path: 'providers/acme.toml', bytes: new TextEncoder().encode(text) });
      expectWellFormed(parsed, 'providers/acme.toml', text.split('\n').length);
      if (parsed.problems.length > 0) withProblems++;
    }
    // Guards the generator: if edits stopped breaking the file, the test would prove little.
    expect(withProblems).toBeGreaterThan(500);
  });

  it('never throws on deeply nested values', () => {
    const deep = `schema = 1\nimages = ${'['.repeat(900)}${']'.repeat(900)}\n`;
    const parsed = parseProviderFile({ path: 'providers/acme.toml', bytes: new TextEncoder().encode(deep) });
    expectWellFormed(parsed, 'providers/acme.toml', 3);
  });
});
