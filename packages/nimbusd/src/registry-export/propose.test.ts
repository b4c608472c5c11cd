import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidRequestError } from '@nimbus/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultBranchName, proposeProviderFile, RegistryProposeError, type ProposeOptions } from './propose.ts';

const GIT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1' };

function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Registry', '-c', 'user.email=registry@example.org', ...args], { cwd: dir, env: GIT_ENV, encoding: 'utf8' }).trim();
}

const AT = new Date(Date.UTC(2026, 0, 5, 7, 8, 9));
const TOML = 'schema = 1\nid = "acme-test"\n';

describe('defaultBranchName', () => {
  it('names the provider and the UTC time, zero-padded', () => {
    expect(defaultBranchName('acme-test', AT)).toBe('provider/acme-test-20260105-070809');
  });
});

describe('proposeProviderFile against a bare repo', () => {
  let dir: string;
  let bare: string;
  const options = (extra: Partial<ProposeOptions> = {}): ProposeOptions => ({
    repo: bare, providerId: 'acme-test', path: 'providers/acme-test.toml', toml: TOML, now: () => AT, ...extra,
  });
  const branches = (): string[] => gitIn(bare, 'for-each-ref', '--format=%(refname:short)', 'refs/heads').split('\n').filter(Boolean).sort();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nimbusd-propose-test-'));
    bare = join(dir, 'registry.git');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch', 'main', bare], { env: GIT_ENV });
    const seed = join(dir, 'seed');
    execFileSync('git', ['clone', '--quiet', bare, seed], { env: GIT_ENV, stdio: 'ignore' });
    writeFileSync(join(seed, 'README.md'), 'registry\n');
    gitIn(seed, 'checkout', '--quiet', '-b', 'main');
    gitIn(seed, 'add', 'README.md');
    gitIn(seed, 'commit', '--quiet', '-m', 'start');
    gitIn(seed, 'push', '--quiet', 'origin', 'main');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('pushes a new branch holding the file, committed by the default author', async () => {
    const result = await proposeProviderFile(options());
    expect(result).toMatchObject({ branch: 'provider/acme-test-20260105-070809', path: 'providers/acme-test.toml', changed: true });
    expect(gitIn(bare, 'rev-parse', 'refs/heads/provider/acme-test-20260105-070809')).toBe(result.commit);
    expect(gitIn(bare, 'show', `${result.commit}:providers/acme-test.toml`) + '\n').toBe(TOML);
    expect(gitIn(bare, 'log', '-1', '--format=%an <%ae>|%s', result.commit)).toBe('nimbusd <nimbusd@acme-test>|providers/acme-test.toml: update provider acme-test');
    // The base branch is left alone: the change waits for a pull request.
    expect(gitIn(bare, 'ls-tree', '--name-only', 'main')).toBe('README.md');
  });

  it('uses the given branch name and author', async () => {
    const result = await proposeProviderFile(options({ branch: 'update-acme', author: { name: 'Ops Team', email: 'ops@acme.example' } }));
    expect(result.branch).toBe('update-acme');
    expect(branches()).toEqual(['main', 'update-acme']);
    expect(gitIn(bare, 'log', '-1', '--format=%an <%ae>', 'update-acme')).toBe('Ops Team <ops@acme.example>');
  });

  it('pushes nothing when the base branch already holds the same file', async () => {
    const first = await proposeProviderFile(options({ branch: 'first' }));
    gitIn(bare, 'update-ref', 'refs/heads/main', first.commit);
    const again = await proposeProviderFile(options({ branch: 'second' }));
    expect(again).toEqual({ branch: null, commit: first.commit, path: 'providers/acme-test.toml', changed: false });
    expect(branches()).toEqual(['first', 'main']);
  });

  it('proposes again when the file differs from the base branch', async () => {
    const first = await proposeProviderFile(options({ branch: 'first' }));
    gitIn(bare, 'update-ref', 'refs/heads/main', first.commit);
    const changed = await proposeProviderFile(options({ branch: 'second', toml: `${TOML}name = "Acme"\n` }));
    expect(changed.changed).toBe(true);
    expect(gitIn(bare, 'rev-parse', `${changed.commit}^`)).toBe(first.commit);
  });

  it('refuses to overwrite a branch that already exists on the remote', async () => {
    await proposeProviderFile(options({ branch: 'taken' }));
    const err = await proposeProviderFile(options({ branch: 'taken', toml: `${TOML}# other\n` })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryProposeError);
    expect((err as RegistryProposeError).code).toBe('REGISTRY_PROPOSE');
    expect((err as Error).message).toContain('cannot push branch taken');
  });

  it('says which base branch is missing', async () => {
    const err = await proposeProviderFile(options({ base: 'trunk' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryProposeError);
    expect((err as Error).message).toContain('cannot clone branch trunk');
  });

  it('rejects a repo that git would read as an option, and bad branch names, before cloning', async () => {
    await expect(proposeProviderFile(options({ repo: '--upload-pack=touch /tmp/x' }))).rejects.toThrow(InvalidRequestError);
    await expect(proposeProviderFile(options({ repo: '--upload-pack=touch /tmp/x' }))).rejects.toThrow('is not a repository URL');
    await expect(proposeProviderFile(options({ branch: 'a..b' }))).rejects.toThrow('--branch "a..b" is not a valid branch name');
    await expect(proposeProviderFile(options({ base: '-x' }))).rejects.toThrow('--base "-x" is not a valid branch name');
    expect(branches()).toEqual(['main']);
  });
});
