import { describe, expect, it } from 'vitest';
import type { Provider } from '../provider.ts';
import { checkOwnership, type ProviderFileChange } from './ownership.ts';
import { ACME } from './testdata/acme.ts';

const owned = (owners?: string[]): Provider => {
  const { owners: _ignored, ...rest } = ACME;
  return owners === undefined ? rest : { ...rest, owners };
};

const problemsFor = (change: ProviderFileChange, author: string): string[] =>
  checkOwnership([change], author).map((p) => `${p.file}:${p.line}:${p.col} ${p.code} ${p.message}`);

describe('checkOwnership', () => {
  it('lets an owner change their file, whatever the case of the login', () => {
    const change: ProviderFileChange = { path: 'providers/acme.toml', status: 'modified', before: owned(['Acme-Ops']), after: owned(['acme-ops']) };
    expect(checkOwnership([change], 'acme-ops')).toEqual([]);
    expect(checkOwnership([change], 'ACME-OPS')).toEqual([]);
  });

  it('refuses a change by someone who is not an owner, saying who owns the file', () => {
    const change: ProviderFileChange = { path: 'providers/acme.toml', status: 'modified', before: owned(['alice', 'bob']), after: owned(['mallory']) };
    expect(problemsFor(change, 'mallory')).toEqual([
      'providers/acme.toml:1:1 ownership mallory may not change providers/acme.toml: its owners on the base branch are alice, bob',
    ]);
  });

  it('takes the owners of an existing file from the base branch, not from the pull request', () => {
    const change: ProviderFileChange = { path: 'providers/acme.toml', status: 'deleted', before: owned(['alice']) };
    expect(problemsFor(change, 'mallory')).toEqual([
      'providers/acme.toml:1:1 ownership mallory may not delete providers/acme.toml: its owners on the base branch are alice',
    ]);
    expect(checkOwnership([{ ...change, status: 'renamed', path: 'providers/acme-eu.toml' }], 'alice')).toEqual([]);
  });

  it('lets the author add a new file that lists them as an owner', () => {
    expect(checkOwnership([{ path: 'providers/new.toml', status: 'added', after: owned(['carol']) }], 'Carol')).toEqual([]);
  });

  it('refuses a new file that does not list its author', () => {
    expect(problemsFor({ path: 'providers/new.toml', status: 'added', after: owned(['alice']) }, 'carol')).toEqual([
      'providers/new.toml:1:1 ownership carol may not add providers/new.toml: its owners in the new file are alice',
    ]);
  });

  it('leaves a file without owners to the registry maintainers', () => {
    expect(problemsFor({ path: 'providers/acme.toml', status: 'modified', before: owned(), after: owned(['carol']) }, 'carol')).toEqual([
      'providers/acme.toml:1:1 ownership carol may not change providers/acme.toml: the file lists no owners on the base branch, so only the registry maintainers may change it',
    ]);
  });

  it('leaves a file whose base version does not parse to the registry maintainers', () => {
    expect(problemsFor({ path: 'providers/acme.toml', status: 'modified', after: owned(['carol']) }, 'carol')).toEqual([
      'providers/acme.toml:1:1 ownership carol may not change providers/acme.toml: the file on the base branch is not a valid provider file, so its owners are unknown; only the registry maintainers may change it',
    ]);
  });

  it.each(['README.md', '.github/workflows/validate.yml', 'providers/sub/acme.toml'])('refuses a change to %s outside providers/', (path) => {
    expect(problemsFor({ path, status: 'modified' }, 'alice')).toEqual([
      `${path}:1:1 ownership alice may not change ${path}: only the registry maintainers change files outside providers/`,
    ]);
  });

  it('reports each refused change of a pull request, in order', () => {
    const problems = checkOwnership(
      [
        { path: 'providers/mine.toml', status: 'modified', before: owned(['alice']) },
        { path: 'providers/theirs.toml', status: 'modified', before: owned(['bob']) },
        { path: 'CODEOWNERS', status: 'modified' },
      ],
      'alice',
    );
    expect(problems.map((p) => p.file)).toEqual(['providers/theirs.toml', 'CODEOWNERS']);
  });
});
