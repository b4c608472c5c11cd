import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistrySyncError } from '../errors.ts';
import { providerToml, TestRegistryRemote } from '../../../../test/support/registry-fixtures.ts';
import { readCatalog } from './catalog.ts';
import { syncRegistry } from './git-registry.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function setup(files: Record<string, string>): { remote: TestRegistryRemote; cacheDir: string } {
  const remote = new TestRegistryRemote(files);
  const cacheDir = mkdtempSync(join(tmpdir(), 'nimbus-cache-'));
  cleanups.push(() => remote.remove(), () => rmSync(cacheDir, { recursive: true, force: true }));
  return { remote, cacheDir };
}

const config = (url: string) => ({ registries: [{ name: 'lab', url }], placement: { rates: {} } });

describe('syncRegistry against a real Git remote', () => {
  it('clones, then re-parses only the files a push changed', async () => {
    const { remote, cacheDir } = setup({
      'providers/alpha.toml': providerToml('alpha'),
      'providers/beta.toml': providerToml('beta'),
      'providers/gamma.toml': providerToml('gamma'),
      'README.md': '# registry\n',
    });
    const ref = { name: 'lab', url: remote.bare };

    const first = await syncRegistry(ref, cacheDir);
    expect(first.status).toBe('cloned');
    expect(first.reparsed).toEqual(['providers/alpha.toml', 'providers/beta.toml', 'providers/gamma.toml']);

    const head = remote.commit({
      'providers/beta.toml': providerToml('beta', { cores: 32 }),
      'providers/gamma.toml': null,
      'README.md': '# registry, edited\n',
    });
    const second = await syncRegistry(ref, cacheDir);
    expect(second).toMatchObject({ status: 'updated', commit: head, reparsed: ['providers/beta.toml'], removed: ['providers/gamma.toml'] });

    const catalog = readCatalog(config(remote.bare), cacheDir);
    expect(catalog.providers.map((p) => p.provider.id)).toEqual(['alpha', 'beta']);
    expect(catalog.providers[1]!.provider.machines[0]!.cpu.cores).toBe(32);

    const third = await syncRegistry(ref, cacheDir);
    expect(third).toMatchObject({ status: 'unchanged', commit: head, reparsed: [] });
  });

  it('keeps a broken file out of the catalog and reports it, leaving the others usable', async () => {
    const { remote, cacheDir } = setup({ 'providers/alpha.toml': providerToml('alpha') });
    await syncRegistry({ name: 'lab', url: remote.bare }, cacheDir);
    remote.commit({ 'providers/beta.toml': providerToml('beta').replace('cores = 16', 'cores = "sixteen"') });
    await syncRegistry({ name: 'lab', url: remote.bare }, cacheDir);

    const catalog = readCatalog(config(remote.bare), cacheDir);
    expect(catalog.providers.map((p) => p.provider.id)).toEqual(['alpha']);
    expect(catalog.problems).toHaveLength(1);
    expect(catalog.problems[0]).toMatchObject({ registry: 'lab', file: 'providers/beta.toml', line: 32 });
  });

  it('falls back to the cache with a warning that gives its age when the remote is gone', async () => {
    const { remote, cacheDir } = setup({ 'providers/alpha.toml': providerToml('alpha') });
    const ref = { name: 'lab', url: remote.bare };
    const t0 = new Date('2026-11-23T08:00:00Z');
    const first = await syncRegistry(ref, cacheDir, () => t0);

    renameSync(remote.bare, `${remote.bare}.moved`);
    const offline = await syncRegistry(ref, cacheDir, () => new Date('2026-11-23T11:12:00Z'));
    expect(offline.status).toBe('offline');
    expect(offline.commit).toBe(first.commit);
    expect(offline.warning).toContain('using the cache from 3 h 12 min ago');
    expect(offline.warning).toContain(`commit ${first.commit.slice(0, 12)}`);
    expect(readCatalog(config(remote.bare), cacheDir).providers.map((p) => p.provider.id)).toEqual(['alpha']);
  });

  it('fails with a typed error and leaves no half clone when the first clone cannot reach the remote', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'nimbus-cache-'));
    cleanups.push(() => rmSync(cacheDir, { recursive: true, force: true }));
    const missing = join(cacheDir, 'no-such-remote.git');
    const attempt = syncRegistry({ name: 'lab', url: missing }, cacheDir);
    await expect(attempt).rejects.toBeInstanceOf(RegistrySyncError);
    await expect(attempt).rejects.toThrow(/cannot clone .*no-such-remote\.git.*no cache to fall back on/);
    expect(readCatalog(config(missing), cacheDir).registries[0]!.commit).toBeUndefined();
  });

  it('never shows a token embedded in the registry URL', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'nimbus-cache-'));
    cleanups.push(() => rmSync(cacheDir, { recursive: true, force: true }));
    const url = 'http://deploy:s3cr3t-t0ken@127.0.0.1:9/registry.git';
    const error = await syncRegistry({ name: 'lab', url }, cacheDir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(RegistrySyncError);
    expect((error as Error).message).not.toContain('s3cr3t-t0ken');
    expect((error as Error).message).toContain('deploy:***@127.0.0.1');
  });
});
