import { describe, expect, it } from 'vitest';
import { checkRegistry, loadRegistry } from './check-registry.ts';
import { parseProviderFile } from './parse-provider-file.ts';
import { source } from './testdata/acme.ts';
import { edit, MINIMAL_TOML } from './testdata/minimal.ts';

const withId = (id: string): string => edit(MINIMAL_TOML, ['id = "acme"', `id = "${id}"`]);

describe('checkRegistry', () => {
  it('reports a provider id defined in two files on the later file, naming the first', () => {
    const parsed = [
      parseProviderFile(source(withId('acme'), 'providers/acme.toml')),
      parseProviderFile(source(withId('zeta'), 'providers/zeta.toml')),
      parseProviderFile(source(withId('acme'), 'providers/acme.toml')),
    ];
    expect(checkRegistry(parsed)).toEqual([
      {
        file: 'providers/acme.toml',
        line: 1,
        col: 1,
        code: 'duplicate-provider',
        message: 'provider id "acme" is already defined in providers/acme.toml; each provider has exactly one file',
      },
    ]);
  });

  it('reports nothing when every id is unique', () => {
    expect(checkRegistry([parseProviderFile(source(withId('acme'))), parseProviderFile(source(withId('b'), 'providers/b.toml'))])).toEqual(
      [],
    );
  });

  it('reports each later file once, naming the first', () => {
    const problems = checkRegistry([
      { path: 'one/providers/acme.toml', provider: parseProviderFile(source(withId('acme'))).provider, problems: [] },
      { path: 'two/providers/acme.toml', provider: parseProviderFile(source(withId('acme'))).provider, problems: [] },
      { path: 'three/providers/acme.toml', provider: parseProviderFile(source(withId('acme'))).provider, problems: [] },
    ]);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`)).toEqual([
      'two/providers/acme.toml:1:1 provider id "acme" is already defined in one/providers/acme.toml; each provider has exactly one file',
      'three/providers/acme.toml:1:1 provider id "acme" is already defined in one/providers/acme.toml; each provider has exactly one file',
    ]);
  });
});

describe('loadRegistry', () => {
  it('returns the providers without problems sorted by id, and every problem', () => {
    const { providers, problems } = loadRegistry([
      source(withId('zeta'), 'providers/zeta.toml'),
      source(withId('acme'), 'providers/acme.toml'),
      source(edit(withId('bad'), ['port = 2222', 'port = 0']), 'providers/bad.toml'),
      source(withId('acme'), 'providers/acme.toml'),
      { path: 'providers/link.toml', bytes: new Uint8Array(), kind: 'symlink' },
    ]);
    expect(providers.map((p) => p.id)).toEqual(['acme', 'zeta']);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.code}`)).toEqual([
      'providers/bad.toml:11:8 out-of-range',
      'providers/link.toml:1:1 symlink',
      'providers/acme.toml:1:1 duplicate-provider',
    ]);
  });

  it('loads an empty registry', () => {
    expect(loadRegistry([])).toEqual({ providers: [], problems: [] });
  });
});
