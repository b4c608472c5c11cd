// `nimbusd machine …` and `nimbusd registry export` run as the built binary on a site made
// with `nimbusd init`; the exported file is checked by the built `nimbusctl registry validate`.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NIMBUSD_BIN, runBin, type CliRun } from './support/cli.ts';
import { NIMBUSCTL_BIN, REPO_ROOT } from './support/nimbusctl.ts';

const BUILT = join(REPO_ROOT, 'packages', 'nimbusd', 'dist', 'commands', 'machine', 'enroll.js');

function run(bin: string, args: readonly string[]): CliRun {
  return runBin(bin, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() } });
}

const nimbusd = (...args: string[]): CliRun => run(NIMBUSD_BIN, args);

describe.skipIf(!existsSync(BUILT))('nimbusd machine and registry export (built binary; run ./scripts/setup first)', () => {
  let dir: string;
  let config: string;
  let stateDir: string;
  let passwordFile: string;
  let fingerprint: string;

  const enroll = (name: string, macs: string[], ...extra: string[]): CliRun =>
    nimbusd('machine', 'enroll', '--config', config, '--name', name, '--bmc-driver', 'ipmi', '--bmc-host', '10.0.0.7', '--bmc-user', 'admin',
      '--bmc-password-file', passwordFile, ...macs.flatMap((m) => ['--mac', m]), ...extra, '--json');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nimbusd-machine-'));
    config = join(dir, 'nimbusd.toml');
    stateDir = join(dir, 'state');
    const init = nimbusd('init', '--config', config, '--state-dir', stateDir, '--provider-id', 'acme-test');
    expect(init.status, init.stderr).toBe(0);
    fingerprint = init.stdout.trim();
    passwordFile = join(dir, 'bmc-password');
    writeFileSync(passwordFile, 'not-a-real-password\n', { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('enrolls two machines, storing the password file path but never the password', () => {
    const a = enroll('rack1-u01', ['AA:BB:CC:00:00:01'], '--class', 'small');
    expect(a.status, a.stderr).toBe(0);
    expect(a.json).toMatchObject({ name: 'rack1-u01', state: 'enrolled', class: 'small', bootMacs: ['aa:bb:cc:00:00:01'] });
    expect(a.json.bmc).toEqual({ driver: 'ipmi', address: '10.0.0.7', username: 'admin', credentialsFile: passwordFile, options: {} });
    const b = enroll('rack1-u02', ['aa:bb:cc:00:00:02', 'aa-bb-cc-00-00-03'], '--class', 'small', '--bmc-port', '6230');
    expect(b.status, b.stderr).toBe(0);
    expect(b.json).toMatchObject({ name: 'rack1-u02', class: 'small', bootMacs: ['aa:bb:cc:00:00:02', 'aa:bb:cc:00:00:03'] });
    expect(b.json.bmc.address).toBe('10.0.0.7:6230');
    expect(JSON.stringify([a.json, b.json])).not.toContain('not-a-real-password');
  });

  it('lists them by name, through --config or --state-dir, filtered by state', () => {
    const viaConfig = nimbusd('machine', 'list', '--config', config, '--json');
    expect(viaConfig.status, viaConfig.stderr).toBe(0);
    expect(viaConfig.json.machines.map((m: { name: string }) => m.name)).toEqual(['rack1-u01', 'rack1-u02']);
    const viaStateDir = nimbusd('machine', 'list', '--state-dir', stateDir, '--state', 'enrolled', '--json');
    expect(viaStateDir.json.machines).toHaveLength(2);
    expect(nimbusd('machine', 'list', '--state-dir', stateDir, '--state', 'ready', '--json').json.machines).toEqual([]);
  });

  it('shows a machine by name and by id, and says when there is none', () => {
    const byName = nimbusd('machine', 'show', 'rack1-u02', '--config', config, '--json');
    expect(byName.status, byName.stderr).toBe(0);
    const byId = nimbusd('machine', 'show', byName.json.id, '--config', config, '--json');
    expect(byId.json).toEqual(byName.json);
    const missing = nimbusd('machine', 'show', 'rack9-u99', '--config', config, '--json');
    expect(missing.status).toBe(1);
    expect(missing.json).toMatchObject({ code: 'NOT_FOUND' });
    expect(missing.json.message).toContain('rack9-u99');
  });

  it('refuses a password file others can read, with exit 2 and the path, and enrolls nothing', () => {
    const open = join(dir, 'open-password');
    writeFileSync(open, 'x\n');
    chmodSync(open, 0o644);
    const r = nimbusd('machine', 'enroll', '--config', config, '--name', 'rack1-u03', '--bmc-driver', 'redfish', '--bmc-host', 'bmc3',
      '--bmc-user', 'admin', '--bmc-password-file', open, '--mac', 'aa:bb:cc:00:00:04', '--json');
    expect(r.status).toBe(2);
    expect(r.json).toMatchObject({ code: 'BMC_SECRET_FILE' });
    expect(r.json.message).toContain(open);
    expect(r.json.message).toContain('0644');
    expect(nimbusd('machine', 'list', '--config', config, '--json').json.machines).toHaveLength(2);
  });

  it('keeps Redfish settings that are not secrets, and names the enroll flag of a bad one', () => {
    const base = ['machine', 'enroll', '--config', config, '--bmc-driver', 'redfish', '--bmc-host', 'bmc6', '--bmc-user', 'admin', '--bmc-password-file', passwordFile, '--json'];
    const bad = nimbusd(...base, '--name', 'rack1-u06', '--mac', 'aa:bb:cc:00:00:06', '--bmc-tls-fingerprint', 'zz');
    expect(bad.status).toBe(2);
    expect(bad.json.message).toContain('--bmc-tls-fingerprint');
    const good = nimbusd(...base, '--name', 'rack1-u06', '--mac', 'aa:bb:cc:00:00:06', '--bmc-scheme', 'http', '--bmc-system', '437XR1138R2');
    expect(good.status, good.stderr).toBe(0);
    expect(good.json.bmc.options).toEqual({ scheme: 'http', system: '437XR1138R2' });
    expect(nimbusd('machine', 'remove', '--config', config, 'rack1-u06', '--json').status).toBe(0);
  });

  it('refuses an invalid MAC naming the flag and the value, with exit 2', () => {
    const r = enroll('rack1-u04', ['aa:bb:cc:00:00'], '--class', 'small');
    expect(r.status).toBe(2);
    expect(r.json).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(r.json.message).toContain('--mac "aa:bb:cc:00:00"');
  });

  it('refuses a second machine with a MAC that is already enrolled', () => {
    const r = enroll('rack1-u05', ['aa:bb:cc:00:00:01']);
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ code: 'CONFLICT' });
    expect(r.json.message).toContain('aa:bb:cc:00:00:01');
  });

  it('export refuses, naming what the config lacks and the class without a description', () => {
    const r = nimbusd('registry', 'export', '--config', config, '--price-per-hour', '1.5', '--json');
    expect(r.status).toBe(1);
    expect(r.json.code).toBe('REGISTRY_EXPORT');
    expect(r.json.problems).toEqual(expect.arrayContaining([
      expect.stringContaining('[provider] contact is not set'),
      expect.stringContaining('set [api] advertise'),
      expect.stringContaining('class small (2 machines) has no description'),
    ]));
  });

  it('exports a provider file that `nimbusctl registry validate` accepts', () => {
    const text = readFileSync(config, 'utf8')
      .replace(/^# (name|contact|region|country|city|currency|images) = /gm, '$1 = ')
      .replace(/^# advertise = .*$/m, 'advertise = "nimbus.acme.example:2222"');
    writeFileSync(config, text);
    const classes = join(dir, 'classes.json');
    writeFileSync(classes, JSON.stringify({
      small: { arch: 'x86_64', cpu: { model: 'AMD EPYC 4244P', cores: 6, threads: 12 }, memory_gib: 64, disks: [{ type: 'nvme', size_gb: 960, count: 2 }], nics: [{ speed_gbps: 10 }] },
    }));
    const r = nimbusd('registry', 'export', '--config', config, '--classes', classes, '--price-per-hour', '0.35');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('id = "acme-test"');
    expect(r.stdout).toContain(`host_key = "${fingerprint}"`);
    expect(r.stdout).toMatch(/\[\[machines\]\]\nid = "small"\ncount = 2\n/);

    const registry = join(dir, 'registry', 'providers');
    mkdirSync(registry, { recursive: true });
    const file = join(registry, 'acme-test.toml');
    writeFileSync(file, r.stdout);
    const validate = run(NIMBUSCTL_BIN, ['registry', 'validate', file]);
    expect(validate.status, validate.stdout + validate.stderr).toBe(0);

    const json = nimbusd('registry', 'export', '--config', config, '--classes', classes, '--price-per-hour', '0.35', '--json');
    expect(json.json.provider).toMatchObject({ id: 'acme-test', endpoint: { host: 'nimbus.acme.example', port: 2222, host_key: fingerprint }, machines: [{ id: 'small', count: 2, price_per_hour: 0.35 }] });
  });

  it('removes a machine by name; it is gone from the list and from export counts', () => {
    const r = nimbusd('machine', 'remove', 'rack1-u01', '--config', config, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ name: 'rack1-u01', class: 'small' });
    expect(nimbusd('machine', 'list', '--config', config, '--json').json.machines.map((m: { name: string }) => m.name)).toEqual(['rack1-u02']);
    expect(nimbusd('machine', 'remove', 'rack1-u01', '--config', config, '--json').json).toMatchObject({ code: 'NOT_FOUND' });
    const classes = join(dir, 'classes.json');
    const exported = nimbusd('registry', 'export', '--config', config, '--classes', classes, '--price-per-hour', '0.35', '--json');
    expect(exported.json.provider.machines).toMatchObject([{ id: 'small', count: 1 }]);
  });
});
