// `nimbusd registry propose` as the built binary, on a site made with `nimbusd init`, against
// a real bare Git repo; the pushed branch is checked by the built `nimbusctl registry validate`.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NIMBUSD_BIN, runBin, type CliRun } from './support/cli.ts';
import { NIMBUSCTL_BIN, REPO_ROOT } from './support/nimbusctl.ts';

const BUILT = join(REPO_ROOT, 'packages', 'nimbusd', 'dist', 'commands', 'registry', 'propose.js');
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() };

function run(bin: string, args: readonly string[]): CliRun {
  // An EDITOR in the environment must not stop the push (simple-git refuses to run with one unless told).
  return runBin(bin, args, { env: { ...ENV, EDITOR: 'false', GIT_EDITOR: 'false' }, timeoutMs: 120_000 });
}

const nimbusd = (...args: string[]): CliRun => run(NIMBUSD_BIN, args);

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Registry', '-c', 'user.email=registry@example.org', ...args], { cwd: dir, env: ENV, encoding: 'utf8' }).trim();
}

describe.skipIf(!existsSync(BUILT))('nimbusd registry propose (built binary; run ./scripts/setup first)', () => {
  let dir: string;
  let config: string;
  let classes: string;
  let bare: string;
  const proposeTo = (repo: string, ...extra: string[]): CliRun =>
    nimbusd('registry', 'propose', '--config', config, '--classes', classes, '--repo', repo, ...extra);
  const propose = (...extra: string[]): CliRun => proposeTo(bare, ...(extra.includes('--price-per-hour') ? [] : ['--price-per-hour', '0.35']), ...extra);
  const branches = (): string[] => git(bare, 'for-each-ref', '--format=%(refname:short)', 'refs/heads').split('\n').filter(Boolean).sort();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nimbusd-propose-'));
    config = join(dir, 'nimbusd.toml');
    const init = nimbusd('init', '--config', config, '--state-dir', join(dir, 'state'), '--provider-id', 'acme-test');
    expect(init.status, init.stderr).toBe(0);
    writeFileSync(config, readFileSync(config, 'utf8')
      .replace(/^# (name|contact|region|country|city|currency|images) = /gm, '$1 = ')
      .replace(/^# advertise = .*$/m, 'advertise = "nimbus.acme.example:2222"'));
    const passwordFile = join(dir, 'bmc-password');
    writeFileSync(passwordFile, 'not-a-real-password\n', { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
    const enroll = nimbusd('machine', 'enroll', '--config', config, '--name', 'rack1-u01', '--bmc-driver', 'ipmi', '--bmc-host', '10.0.0.7',
      '--bmc-user', 'admin', '--bmc-password-file', passwordFile, '--mac', 'aa:bb:cc:00:00:01', '--class', 'small', '--json');
    expect(enroll.status, enroll.stderr).toBe(0);
    classes = join(dir, 'classes.json');
    writeFileSync(classes, JSON.stringify({
      small: { arch: 'x86_64', cpu: { model: 'AMD EPYC 4244P', cores: 6, threads: 12 }, memory_gib: 64, disks: [{ type: 'nvme', size_gb: 960, count: 2 }], nics: [{ speed_gbps: 10 }] },
    }));

    bare = join(dir, 'registry.git');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch', 'main', bare], { env: ENV });
    const seed = join(dir, 'seed');
    execFileSync('git', ['clone', '--quiet', bare, seed], { env: ENV, stdio: 'ignore' });
    git(seed, 'checkout', '--quiet', '-b', 'main');
    writeFileSync(join(seed, 'README.md'), 'A Nimbus registry.\n');
    git(seed, 'add', 'README.md');
    git(seed, 'commit', '--quiet', '-m', 'start');
    git(seed, 'push', '--quiet', 'origin', 'main');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pushes a provider/<id>-<time> branch whose file `nimbusctl registry validate` accepts', () => {
    const r = propose();
    expect(r.status, r.stderr).toBe(0);
    const branch = r.stdout.trim();
    expect(branch).toMatch(/^provider\/acme-test-\d{8}-\d{6}$/);
    expect(branches()).toEqual(['main', branch]);
    expect(git(bare, 'log', '-1', '--format=%an <%ae>|%s', branch)).toBe('nimbusd <nimbusd@acme-test>|providers/acme-test.toml: update provider acme-test');

    const checkout = join(dir, 'checkout');
    execFileSync('git', ['clone', '--quiet', '--branch', branch, bare, checkout], { env: ENV, stdio: 'ignore' });
    const file = readFileSync(join(checkout, 'providers', 'acme-test.toml'), 'utf8');
    expect(file).toContain('id = "acme-test"');
    expect(file).toMatch(/\[\[machines\]\]\nid = "small"\ncount = 1\n/);
    const validate = run(NIMBUSCTL_BIN, ['registry', 'validate', checkout]);
    expect(validate.status, validate.stdout + validate.stderr).toBe(0);
  });

  it('pushes nothing when the base branch already holds the same file', () => {
    // Merge the proposal, as the registry's maintainers would.
    const first = propose('--branch', 'merge-me', '--json');
    expect(first.status, first.stderr).toBe(0);
    git(bare, 'update-ref', 'refs/heads/main', first.json.commit);
    const before = branches();

    const again = propose('--json');
    expect(again.status, again.stderr).toBe(0);
    expect(again.json).toEqual({ branch: null, commit: first.json.commit, path: 'providers/acme-test.toml', changed: false });
    const text = propose();
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('unchanged on main; nothing pushed');
    expect(branches()).toEqual(before);
  });

  it('reports --json {branch, commit, path, changed} with the given branch and author', () => {
    const r = propose('--price-per-hour', '0.40', '--branch', 'acme-price', '--author-name', 'Acme Ops', '--author-email', 'ops@acme.example', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ branch: 'acme-price', path: 'providers/acme-test.toml', changed: true });
    expect(git(bare, 'rev-parse', 'refs/heads/acme-price')).toBe(r.json.commit);
    expect(git(bare, 'log', '-1', '--format=%an <%ae>', 'acme-price')).toBe('Acme Ops <ops@acme.example>');
    expect(git(bare, 'show', `${r.json.commit}:providers/acme-test.toml`)).toContain('price_per_hour = 0.4');
  });

  it('fails with exit 1 and a REGISTRY_PROPOSE error naming the repo when it cannot be cloned', () => {
    const missing = join(dir, 'no-such-registry.git');
    const r = proposeTo(missing, '--price-per-hour', '0.35', '--json');
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ code: 'REGISTRY_PROPOSE' });
    expect(r.json.message).toContain(missing);
  });

  it('refuses a bad branch name with exit 2, pushing nothing', () => {
    const before = branches();
    const r = propose('--branch', 'bad..name', '--json');
    expect(r.status).toBe(2);
    expect(r.json).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(branches()).toEqual(before);
  });
});
