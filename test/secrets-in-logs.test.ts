/**
 * Secrets never reach a log. First the search itself (test/support/secret-scan.ts, also
 * run over every log of a whole test run by scripts/check-logs-for-secrets.mjs): it finds
 * a secret as written, in base64 at any alignment and in hex, and reports file and line
 * without the secret. Then the built nimbusd, with known secrets from
 * test/support/test-secrets.ts: `machine enroll` and `machine inspect` with a password
 * file (the right one, and a wrong one), `bmc power status` with a wrong password (against
 * the Redfish emulator, and ipmi_sim when installed), and `nimbusd serve` at log level
 * debug, whose power sync reads both machines' BMCs (one refuses it) while it answers
 * admin calls about them; every run's stdout and stderr (and the API's answers) must hold
 * none of the secrets. The CLIs run with DEBUG=* so that oclif's own debug output is
 * searched too. Everything captured is also written under the test log directory, for
 * the after-run check.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NimbusApiClient } from '@nimbus/nimbusd/api-client';
import { RedfishEmulator } from './redfish-emulator/server.ts';
import type { CliRun } from './support/cli.ts';
import { IpmiSim, ipmiPeersMissing } from './support/ipmi-sim.ts';
import { createSite, nimbusdBuilt, type NimbusdSite } from './support/nimbusd-site.ts';
import { formatFinding, scanPaths, scanText, type SecretFinding } from './support/secret-scan.ts';
import { ServeProcess } from './support/serve-process.ts';
import { sshTestKey, type SshTestKey } from './support/ssh-test-key.ts';
import { knownTestSecrets, TEST_SECRETS, type NamedSecret } from './support/test-secrets.ts';
import { testLogDir, testLogPath } from './support/test-logs.ts';

const SECRETS = knownTestSecrets();
/** This file's folder under the test log directory. */
const LOG_SUBDIR = 'secrets-in-logs';

/** Output of one run, named for the report. */
interface Captured {
  source: string;
  text: string;
}

/** Findings in `outputs`, as `source:line: holds the test secret NAME` lines (which never hold the secret). */
function leaks(outputs: readonly Captured[], secrets: readonly NamedSecret[] = SECRETS): string[] {
  return outputs.flatMap((o) => scanText(o.text, o.source, secrets)).map(formatFinding);
}

describe('the secret search', () => {
  const secret: NamedSecret = { name: 'bmcPassword', value: TEST_SECRETS.bmcPassword };

  it('finds a secret as written, with its line, and reports the name only', () => {
    const findings = scanText(`first\nsecond ${secret.value} here\nthird ${secret.value}\n`, 'x.log', [secret]);
    expect(findings).toEqual<SecretFinding[]>([
      { file: 'x.log', line: 2, secret: 'bmcPassword', encoding: 'plain' },
      { file: 'x.log', line: 3, secret: 'bmcPassword', encoding: 'plain' },
    ]);
    expect(findings.map(formatFinding)).toEqual(['x.log:2: holds the test secret bmcPassword', 'x.log:3: holds the test secret bmcPassword']);
  });

  it.each([0, 1, 2])('finds a secret in base64 after %i other bytes (an HTTP Basic header, a dumped buffer)', (offset) => {
    const encoded = Buffer.from(`${'u:'.slice(0, offset)}${secret.value}`).toString('base64');
    expect(scanText(`Authorization: Basic ${encoded}\n`, 'h.log', [secret])).toEqual([{ file: 'h.log', line: 1, secret: 'bmcPassword', encoding: 'base64' }]);
  });

  it('finds a secret in hex, and nothing in text without one', () => {
    expect(scanText(`raw=${Buffer.from(secret.value).toString('hex')}`, 'b.log', [secret])).toMatchObject([{ encoding: 'hex' }]);
    expect(scanText('{"password":"[Redacted]","user":"admin"}\n', 'ok.log', SECRETS)).toEqual([]);
  });

  it('walks directories, naming each file', () => {
    // Outside the test log directory: the after-run check must not find this planted secret.
    const root = mkdtempSync(join(tmpdir(), 'secret-scan-'));
    try {
      mkdirSync(join(root, 'nested'));
      writeFileSync(join(root, 'clean.log'), 'nothing here\n');
      writeFileSync(join(root, 'nested', 'daemon.log'), `one\n${TEST_SECRETS.apiToken}\n`);
      const report = scanPaths([root], SECRETS);
      expect(report.files).toEqual([join(root, 'clean.log'), join(root, 'nested', 'daemon.log')]);
      expect(report.findings.map(formatFinding)).toEqual([`${join(root, 'nested', 'daemon.log')}:2: holds the test secret apiToken`]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!nimbusdBuilt())('nimbusd keeps secrets out of its output (built binary; run ./scripts/setup first)', () => {
  let site: NimbusdSite;
  let admin: SshTestKey;
  let emulator: RedfishEmulator;
  let passwordFile: string;
  let wrongPasswordFile: string;
  const captured: Captured[] = [];

  /** Runs the built nimbusd without blocking the event loop (the emulator answers from it), keeping its output. */
  async function nimbusd(name: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
    const run = await site.nimbusdAsync(args, { DEBUG: '*', ...env });
    keep(name, run.stdout, run.stderr);
    return run;
  }

  function keep(name: string, stdout: string, stderr: string): void {
    captured.push({ source: `${name} (stdout)`, text: stdout }, { source: `${name} (stderr)`, text: stderr });
    const file = `${name.replaceAll(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.log`;
    writeFileSync(testLogPath(LOG_SUBDIR, file), `# stdout\n${stdout}\n# stderr\n${stderr}`);
  }

  function secretFile(name: string, secret: string): string {
    const path = join(site.dir, name);
    writeFileSync(path, `${secret}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return path;
  }

  beforeAll(async () => {
    rmSync(join(testLogDir(), LOG_SUBDIR), { recursive: true, force: true }); // the last run's files
    admin = sshTestKey('secrets-admin');
    site = await createSite({ logLevel: 'debug', adminKeys: [admin.fingerprint], tenantPolicy: 'allowlist' });
    emulator = await RedfishEmulator.start({ mockup: 'public-rackmount1', password: TEST_SECRETS.bmcPassword });
    passwordFile = secretFile('bmc-password', TEST_SECRETS.bmcPassword);
    wrongPasswordFile = secretFile('wrong-password', TEST_SECRETS.wrongBmcPassword);
    // The search would see them: each file holds its secret as the search looks for it.
    expect(leaks([{ source: passwordFile, text: readFileSync(passwordFile, 'utf8') }])).toEqual([`${passwordFile}:1: holds the test secret bmcPassword`]);
  });

  afterAll(async () => {
    await emulator?.close();
    site?.remove();
  });

  it('machine enroll and inspect use the password file but print only its path, also when they fail', async () => {
    const { port } = new URL(emulator.url);
    const base = ['machine', 'enroll', '--config', site.configPath, '--bmc-driver', 'redfish', '--bmc-scheme', 'http', '--bmc-host', '127.0.0.1', '--bmc-port', port, '--bmc-user', 'admin'];
    const enrolled = await nimbusd('machine enroll', [...base, '--name', 'r1-u01', '--bmc-password-file', passwordFile, '--mac', 'aa:bb:cc:00:00:01', '--json']);
    expect(enrolled.status, enrolled.stderr).toBe(0);
    expect(enrolled.json).toMatchObject({ name: 'r1-u01', bmc: { credentialsFile: passwordFile } });
    const inspected = await nimbusd('machine inspect', ['machine', 'inspect', 'r1-u01', '--config', site.configPath, '--json']);
    expect(inspected.status, inspected.stderr).toBe(0);
    expect(inspected.json).toMatchObject({ state: 'ready' });
    // A machine whose password file holds the wrong password: inspecting it fails (the BMC refuses it) and leaves it in error.
    const human = await nimbusd('machine enroll (human)', [...base, '--name', 'r1-u02', '--bmc-password-file', wrongPasswordFile, '--mac', 'aa:bb:cc:00:00:02']);
    expect(human.status, human.stderr).toBe(0);
    const refusedInspect = await nimbusd('machine inspect (wrong password)', ['machine', 'inspect', 'r1-u02', '--config', site.configPath]);
    expect(refusedInspect.status).toBe(1);
    const inError = await nimbusd('machine show (in error)', ['machine', 'show', 'r1-u02', '--config', site.configPath, '--json']);
    expect(inError.json).toMatchObject({ state: 'error' });
    const refused = await nimbusd('machine enroll (bad mac)', [...base, '--name', 'r1-u03', '--bmc-password-file', passwordFile, '--mac', 'not-a-mac', '--json']);
    expect(refused.status).toBe(2);
    const taken = await nimbusd('machine enroll (name taken)', [...base, '--name', 'r1-u01', '--bmc-password-file', passwordFile, '--mac', 'aa:bb:cc:00:00:09']);
    expect(taken.status).not.toBe(0);
    const shown = await nimbusd('machine show', ['machine', 'show', 'r1-u01', '--config', site.configPath, '--json']);
    expect(shown.status, shown.stderr).toBe(0);
    expect(leaks(captured)).toEqual([]);
  });

  it('bmc power status with a wrong password fails as an auth error that holds neither password (Redfish emulator)', async () => {
    const { port } = new URL(emulator.url);
    const bmc = ['bmc', 'power', 'status', '--driver', 'redfish', '--scheme', 'http', '--host', '127.0.0.1', '--port', port, '--user', 'admin'];
    const fromFile = await nimbusd('bmc power status (wrong password file)', [...bmc, '--password-file', wrongPasswordFile, '--json']);
    expect(fromFile.status).toBe(1);
    expect(fromFile.json).toMatchObject({ code: 'BMC_AUTH' });
    const fromEnv = await nimbusd('bmc power status (wrong password in env)', bmc, { NIMBUS_BMC_PASSWORD: TEST_SECRETS.wrongBmcPassword });
    expect(fromEnv.status).toBe(1);
    const right = await nimbusd('bmc power status (right password in env)', [...bmc, '--json'], { NIMBUS_BMC_PASSWORD: TEST_SECRETS.bmcPassword });
    expect(right.status, right.stderr).toBe(0);
    expect(right.json).toMatchObject({ action: 'status' });
    expect(leaks(captured)).toEqual([]);
  });

  const ipmiMissing = ipmiPeersMissing();
  it.skipIf(ipmiMissing !== undefined)(`bmc power status with a wrong password fails without it against ipmi_sim${ipmiMissing ? ` (skipped: ${ipmiMissing})` : ''}`, async () => {
    const sim = await new IpmiSim().start();
    try {
      const bmc = ['bmc', 'power', 'status', '--driver', 'ipmi', '--host', sim.host, '--port', String(sim.port), '--user', sim.username, '--cipher-suite', '3'];
      const wrong = await nimbusd('bmc power status ipmi (wrong password file)', [...bmc, '--password-file', wrongPasswordFile, '--json']);
      expect(wrong.status).toBe(1);
      expect(wrong.json).toMatchObject({ code: 'BMC_AUTH' });
      const human = await nimbusd('bmc power status ipmi (wrong password in env)', bmc, { NIMBUS_BMC_PASSWORD: TEST_SECRETS.wrongBmcPassword });
      expect(human.status).toBe(1);
    } finally {
      await sim.stop();
    }
    expect(leaks(captured)).toEqual([]);
  });

  it('nimbusd serve at log level debug reads both BMCs, answers about the machines and logs a refused key, without a password', async () => {
    const logFile = testLogPath(LOG_SUBDIR, 'nimbusd-serve.log');
    const daemon = new ServeProcess({ configPath: site.configPath, env: { ...site.env, DEBUG: '*' }, logFile });
    const answers: unknown[] = [];
    try {
      await daemon.waitForLog('nimbusd listening');
      // The power sync reads every BMC from the start; the one with the wrong password refuses it.
      await daemon.waitForLog('BMC power read failed');
      const options = { host: '127.0.0.1', port: site.apiPort, hostKeyFingerprint: site.hostKeyFingerprint };
      const client = await NimbusApiClient.connect({ ...options, privateKey: admin.privateKey });
      try {
        const { machines } = await client.call('machines.list', {});
        expect(machines.map((m) => m.name)).toEqual(['r1-u01', 'r1-u02']);
        answers.push(machines, ...(await Promise.all(machines.map((m) => client.call('machines.get', { id: m.id })))), await client.call('audit.tail', { limit: 1000 }));
        await expect(client.call('no.such.method', {})).rejects.toThrow(/method not found/);
      } finally {
        client.close();
      }
      // A key that is neither admin nor allowed: refused, and logged as such.
      await expect(NimbusApiClient.connect({ ...options, privateKey: sshTestKey('stranger').privateKey })).rejects.toThrow();
      await daemon.waitForLog('ssh key refused: not an admin and not an allowed tenant');
      expect(daemon.logLines().some((l) => l['level'] === 'debug')).toBe(true);
    } finally {
      const stopped = await daemon.stop('SIGTERM');
      expect(stopped.code, daemon.stderr).toBe(0);
    }
    const outputs = [
      { source: 'nimbusd serve (stdout)', text: daemon.stdout },
      { source: 'nimbusd serve (stderr)', text: daemon.stderr },
      { source: 'API answers', text: JSON.stringify(answers, null, 1) },
    ];
    expect(JSON.stringify(answers)).toContain(passwordFile);
    expect(leaks(outputs)).toEqual([]);
  });

  it('the test log directory holds what this file captured, with no secret in it', () => {
    const dir = join(testLogDir(), LOG_SUBDIR);
    const report = scanPaths([dir], SECRETS);
    expect(report.files.length).toBeGreaterThanOrEqual(captured.length / 2);
    expect(report.findings.map(formatFinding)).toEqual([]);
    expect(existsSync(join(dir, 'nimbusd-serve.log'))).toBe(true);
  });
});
