import { describe, expect, it } from 'vitest';
import { isProviderPath, providerIdFromPath } from './provider-path.ts';

describe('isProviderPath', () => {
  it.each(['providers/acme.toml', 'providers/a.toml', 'providers/Acme-EU.toml'])('accepts %s', (path) => {
    expect(isProviderPath(path)).toBe(true);
  });

  it.each([
    ['a parent segment', '../x.toml'],
    ['a parent segment inside', 'providers/../x.toml'],
    ['a sub-directory', 'providers/sub/x.toml'],
    ['an absolute path', '/providers/x.toml'],
    ['a backslash', 'providers\\x.toml'],
    ['another directory', 'docs/x.toml'],
    ['a file at the root', 'acme.toml'],
    ['another extension', 'providers/acme.json'],
    ['an empty name', 'providers/.toml'],
    ['an empty segment', 'providers//x.toml'],
    ['the directory itself', 'providers'],
    ['a NUL byte', 'providers/x\0.toml'],
    ['a name with ..', 'providers/a..b.toml'],
  ])('rejects %s: %j', (_why, path) => {
    expect(isProviderPath(path)).toBe(false);
  });
});

describe('providerIdFromPath', () => {
  it('is the file name without .toml', () => {
    expect(providerIdFromPath('providers/acme-eu.toml')).toBe('acme-eu');
  });
});
