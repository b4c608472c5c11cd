import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NimbusctlHome, REPO_ROOT } from './support/nimbusctl.ts';
import { git, providerToml, TestRegistryRemote } from './support/registry-fixtures.ts';

const EXAMPLES = join(REPO_ROOT, 'examples', 'registry');

describe('nimbusctl registry and providers, run as a binary against a real Git registry', () => {
  let home: NimbusctlHome;
  let remote: TestRegistryRemote;

  beforeAll(() => {
    home = new NimbusctlHome();
    remote = new TestRegistryRemote({
      'providers/alpha.toml': providerToml('alpha', { region: 'eu-central', cores: 16, price: 0.4 }),
      'providers/beta.toml': providerToml('beta', { region: 'us-east', cores: 64, price: 1.2 }),
    });
  });
  afterAll(() => {
    home.remove();
    remote.remove();
  });

  it('says what to do when no registry was ever synced', () => {
    const r = home.run(['providers', 'list']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('error: no registry is configured: add one with `nimbusctl registry add NAME URL`, then run `nimbusctl registry sync`\n');
    const j = home.run(['providers', 'list', '--json']);
    expect(j.json).toMatchObject({ status: 1, code: 'REGISTRY_NEVER_SYNCED' });
  });

  it('adds, syncs and lists providers, with filters and --json', () => {
    expect(home.run(['registry', 'add', 'lab', remote.bare]).status).toBe(0);
    const dup = home.run(['registry', 'add', 'lab', remote.bare, '--json']);
    expect(dup.json).toMatchObject({ code: 'REGISTRY_EXISTS' });

    const sync = home.run(['registry', 'sync', '--json']);
    expect(sync.status).toBe(0);
    expect(sync.json.synced[0]).toMatchObject({ name: 'lab', status: 'cloned' });

    const list = home.run(['providers', 'list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+REGION/m);
    expect(list.stdout).toMatch(/^alpha\s+eu-central\s+DE\s+4\s+x86_64/m);

    const filtered = home.run(['providers', 'list', '--region', 'us-east', '--json']);
    expect(filtered.json.map((p: { id: string }) => p.id)).toEqual(['beta']);

    const show = home.run(['providers', 'show', 'beta', '--json']);
    expect(show.json.provider.endpoint).toEqual({ host: 'nimbus.beta.example', port: 2222, host_key: `SHA256:${'A'.repeat(43)}` });
    const missing = home.run(['providers', 'show', 'gamma']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no provider "gamma"');
  });

  it('re-syncs only what changed and keeps the cache when the remote is down', () => {
    remote.commit({ 'providers/beta.toml': providerToml('beta', { region: 'us-east', cores: 96 }) });
    const sync = home.run(['registry', 'sync', '--json']);
    expect(sync.json.synced[0]).toMatchObject({ status: 'updated', reparsed: ['providers/beta.toml'] });

    rmSync(remote.bare, { recursive: true, force: true });
    const offline = home.run(['registry', 'sync']);
    expect(offline.status).toBe(0);
    expect(offline.stderr).toMatch(/warning: registry lab: cannot reach .*; using the cache from \d+ s ago/);
    const list = home.run(['providers', 'list', '--json']);
    expect(list.json.map((p: { id: string }) => p.id)).toEqual(['alpha', 'beta']);
  });

  it('reports a provider id offered by two registries instead of shadowing it silently', () => {
    const other = new TestRegistryRemote({ 'providers/alpha.toml': providerToml('alpha', { region: 'ap-southeast' }) });
    try {
      home.run(['registry', 'add', 'other', other.bare]);
      home.run(['registry', 'sync', 'other']);
      const list = home.run(['providers', 'list']);
      expect(list.stderr).toContain('provider "alpha" is in registries lab and other; using the one from lab');
      const regs = home.run(['registry', 'list', '--json']);
      expect(regs.json.map((r: { name: string }) => r.name)).toEqual(['lab', 'other']);
      expect(home.run(['registry', 'remove', 'other']).status).toBe(0);
      expect(home.run(['registry', 'remove', 'other', '--json']).json).toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
    } finally {
      other.remove();
    }
  });
});

describe('nimbusctl plan over the example registry', () => {
  let home: NimbusctlHome;
  let remote: TestRegistryRemote;

  beforeAll(() => {
    home = new NimbusctlHome();
    const files: Record<string, string> = {};
    for (const id of ['alpha', 'beta', 'gamma']) files[`providers/${id}.toml`] = providerToml(id, { cores: id === 'alpha' ? 8 : 32, price: id === 'gamma' ? 0.2 : 0.6 });
    remote = new TestRegistryRemote(files);
    home.run(['registry', 'add', 'lab', remote.bare]);
    home.run(['registry', 'sync']);
  });
  afterAll(() => {
    home.remove();
    remote.remove();
  });

  it('ranks the candidates, spreads two machines over two providers, and explains the rejected', () => {
    const r = home.run(['plan', '--cores', '16', '--count', '2', '--currency', 'EUR', '--explain', '--json']);
    expect(r.status).toBe(0);
    expect(r.json.result.candidates.map((c: { providerId: string }) => c.providerId)).toEqual(['gamma', 'beta']);
    expect(r.json.result.assignments).toEqual([
      expect.objectContaining({ providerId: 'gamma', machines: 1 }),
      expect.objectContaining({ providerId: 'beta', machines: 1 }),
    ]);
    expect(r.json.result.rejected).toEqual([{ providerId: 'alpha', classId: 'standard', rule: 'cores', reason: 'has 8 cores, needs 16' }]);

    const text = home.run(['plan', '--cores', '16', '--currency', 'EUR', '--explain']);
    expect(text.stdout).toMatch(/^1\s+gamma\s+standard/m);
    expect(text.stdout).toMatch(/^alpha\s+standard\s+cores\s+has 8 cores, needs 16$/m);
  });

  it('exits 1 and shows the closest misses when nothing fits', () => {
    const r = home.run(['plan', '--cores', '64', '--explain']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('No machine matches the request.');
    expect(r.stdout).toMatch(/Closest misses[\s\S]*cores: has 32 cores, needs 64/);
  });

  it('rejects a malformed flag value with exit status 2 and says which flag', () => {
    const r = home.run(['plan', '--max-price', 'cheap']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: --max-price must be a number ≥ 0, got "cheap"\n');
    expect(home.run(['plan', '--max-price', '-1', '--json']).json).toEqual({ status: 2, code: 'INVALID_REQUEST', message: '--max-price must be a number ≥ 0, got "-1"' });
  });
});

describe('nimbusctl registry validate', () => {
  let home: NimbusctlHome;
  let copy: string;

  beforeAll(() => {
    home = new NimbusctlHome();
    copy = mkdtempSync(join(tmpdir(), 'nimbus-examples-'));
    cpSync(EXAMPLES, copy, { recursive: true });
  });
  afterAll(() => {
    home.remove();
    rmSync(copy, { recursive: true, force: true });
  });

  it('passes the example registry', () => {
    const r = home.run(['registry', 'validate', EXAMPLES]);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/\d+ provider files, no problems/);
  });

  it('says so when pointed at a missing path or a folder that is not a registry', () => {
    const missing = home.run(['registry', 'validate', join(copy, 'nope')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`error: ${join(copy, 'nope')}: no such file or folder\n`);
    const notRegistry = home.run(['registry', 'validate', join(copy, '.github'), '--json']);
    expect(notRegistry.json).toMatchObject({ status: 1, code: 'NOT_A_REGISTRY' });
  });

  it('validates one provider file on its own, by the rules of providers/<name>', () => {
    const ok = home.run(['registry', 'validate', join(EXAMPLES, 'providers', 'polder-arm.toml')]);
    expect(ok.status).toBe(0);
    writeFileSync(join(copy, 'single.toml'), providerToml('not-single'));
    const bad = home.run(['registry', 'validate', join(copy, 'single.toml')]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`^${join(copy, 'single.toml')}:2:6: .*not-single`, 'm'));
  });

  it('reports each broken file at its line and column, exit status 1, and --json gives the list', () => {
    writeFileSync(join(copy, 'providers', 'typo.toml'), providerToml('typo').replace('memory_gib = 64', 'memory_gb = 64'));
    writeFileSync(join(copy, 'providers', 'syntax.toml'), 'schema = 1\nid = "syntax"\nname = "unterminated\n');
    writeFileSync(join(copy, 'providers', 'wrong-id.toml'), providerToml('other-id'));
    writeFileSync(join(copy, 'providers', 'latin1.toml'), Buffer.concat([Buffer.from('schema = 1\nid = "latin1"\nname = "Z'), Buffer.from([0xfc]), Buffer.from('rich"\n')]));
    symlinkSync('/etc/passwd', join(copy, 'providers', 'link.toml'));

    const r = home.run(['registry', 'validate', copy]);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    const has = (re: RegExp) => expect(lines).toContainEqual(expect.stringMatching(re));
    has(/^providers\/link\.toml:1:1: .*symbolic link/);
    has(/^providers\/latin1\.toml:3:10: .*UTF-8/);
    has(/^providers\/syntax\.toml:3:\d+: /);
    has(/^providers\/typo\.toml:28:1: unknown key "memory_gb".*memory_gib/);
    has(/^providers\/wrong-id\.toml:2:6: .*other-id/);
    expect(lines.filter((l) => /^providers\/(alpenfels|kanda-metal|polder-arm)\.toml/.test(l))).toEqual([]);

    const j = home.run(['registry', 'validate', copy, '--json']);
    expect(j.status).toBe(1);
    expect(j.json.problems.map((p: { file: string }) => p.file)).toEqual(expect.arrayContaining(['providers/link.toml', 'providers/typo.toml']));
    for (const p of j.json.problems) expect(p).toMatchObject({ line: expect.any(Number), col: expect.any(Number), code: expect.any(String), message: expect.any(String) });
  });
});

describe('nimbusctl registry check-owners', () => {
  it('lets an owner change their own file and stops them changing another provider', () => {
    const home = new NimbusctlHome();
    const remote = new TestRegistryRemote({
      'providers/alpha.toml': providerToml('alpha'),
      'providers/beta.toml': providerToml('beta'),
    });
    try {
      git(remote.work, 'checkout', '-q', '-b', 'pr');
      writeFileSync(join(remote.work, 'providers', 'alpha.toml'), providerToml('alpha', { price: 0.3 }));
      git(remote.work, 'commit', '-qam', 'alpha: cheaper');
      const ok = home.run(['registry', 'check-owners', '--base', 'main', '--author', 'alpha-admin'], { cwd: remote.work });
      expect(ok.status).toBe(0);

      writeFileSync(join(remote.work, 'providers', 'beta.toml'), providerToml('beta', { price: 99 }));
      git(remote.work, 'commit', '-qam', 'beta: sabotage');
      const bad = home.run(['registry', 'check-owners', '--base', 'main', '--author', 'alpha-admin', '--json'], { cwd: remote.work });
      expect(bad.status).toBe(1);
      expect(bad.json.problems).toHaveLength(1);
      expect(bad.json.problems[0]).toMatchObject({ file: 'providers/beta.toml', code: 'ownership' });
      expect(bad.json.problems[0].message).toContain('beta-admin');
    } finally {
      home.remove();
      remote.remove();
    }
  });
});
