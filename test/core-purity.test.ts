import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/nimbusctl.ts';

const CORE_SRC = join(REPO_ROOT, 'packages', 'core', 'src');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Packages core may import: pure parsing and validation. */
const ALLOWED_PACKAGES = new Set(['ajv', 'smol-toml', 'toml-eslint-parser', '@nimbus/registry-schema']);

function coreSources(): { file: string; text: string }[] {
  return readdirSync(CORE_SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.parentPath.includes('testdata'))
    .map((e) => {
      const file = join(e.parentPath, e.name);
      return { file: relative(REPO_ROOT, file), text: readFileSync(file, 'utf8') };
    });
}

/** A clock or randomness read by the code itself rather than passed in. */
const CLOCK_OR_RANDOMNESS = /\b(Date\.now|new Date|Math\.random|performance\.now|crypto\.getRandomValues|process\.\w+)/g;

function clockUsesOf(text: string): string[] {
  return [...text.matchAll(CLOCK_OR_RANDOMNESS)].map((m) => m[1]!);
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => (m[1] ?? m[2])!);
}

describe('packages/core is pure', () => {
  const sources = coreSources();

  it('has sources to check', () => {
    expect(sources.length).toBeGreaterThan(10);
  });

  it('imports no Node built-in (no file system, network or processes) and only its parsing packages', () => {
    const offending = sources.flatMap(({ file, text }) =>
      importsOf(text)
        .filter((spec) => !spec.startsWith('.'))
        .filter((spec) => BUILTINS.has(spec) || !ALLOWED_PACKAGES.has(spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/')))
        .map((spec) => `${file}: imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('reads no clock and no randomness of its own (they are passed in)', () => {
    const offending = sources.flatMap(({ file, text }) =>
      clockUsesOf(text).map((use) => `${file}: uses ${use}`),
    );
    expect(offending).toEqual([]);
  });

  it('the check itself catches a forbidden import and a clock', () => {
    expect(importsOf("import { readFileSync } from 'node:fs';\nexport { x } from './x.ts';")).toEqual(['node:fs', './x.ts']);
    expect(clockUsesOf('const t = Date.now(); const r = Math.random(); const e = process.env.X;')).toEqual(['Date.now', 'Math.random', 'process.env']);
    expect(clockUsesOf('const when = clock();')).toEqual([]);
  });
});
