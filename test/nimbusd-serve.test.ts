// `nimbusd serve` as the built binary on a site made with `nimbusd init`: a tenant key
// checks capacity and allocates the one ready machine over SSH, /metrics shows it, SIGTERM
// stops the daemon cleanly, and a second daemon on a taken port exits 1 naming the address.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NimbusApiClient } from '@nimbus/nimbusd/api-client';
import { REPO_ROOT } from './support/nimbusctl.ts';
import { NIMBUSD_BIN } from './support/cli.ts';
import { freeTcpPort } from './support/free-port.ts';

const BUILT = join(REPO_ROOT, 'packages', 'nimbusd', 'dist', 'commands', 'serve.js');
const BUILT_STATE = join(REPO_ROOT, 'packages', 'nimbusd', 'dist', 'state', 'index.js');
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() };

/** The part of the built state store this test drives (the package exports no store). */
interface StoreModule {
  Store: new (options: { path: string; clock: () => Date }) => {
    transition(id: string, from: string, to: string, actor: { fingerprint: string; role: 'system' }): unknown;
    close(): void;
  };
  stateDbPath(stateDir: string): string;
}

function nimbusd(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NIMBUSD_BIN, ...args], { env: ENV, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A running `nimbusd serve`: its JSON log lines, and its exit once it comes. */
class Daemon {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(config: string) {
    this.child = spawn(process.execPath, [NIMBUSD_BIN, 'serve', '--config', config, '--gauge-refresh-ms', '200'], { env: ENV });
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop()!;
      for (const part of parts) if (part.trim() !== '') this.lines.push(JSON.parse(part) as Record<string, unknown>);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves with the first log line with this message; rejects if the process exits first. */
  async waitFor(msg: string): Promise<Record<string, unknown>> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const line = this.lines.find((l) => l.msg === msg);
      if (line) return line;
      if (exited) throw new Error(`nimbusd exited before logging ${JSON.stringify(msg)}: ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe.skipIf(!existsSync(BUILT))('nimbusd serve (built binary; run ./scripts/setup first)', () => {
  let dir: string;
  let config: string;
  let hostKeyFingerprint: string;
  let apiPort: number;
  let metricsPort: number;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbusd-serve-'));
    config = join(dir, 'nimbusd.toml');
    const stateDir = join(dir, 'state');
    const init = nimbusd('init', '--config', config, '--state-dir', stateDir, '--provider-id', 't1');
    expect(init.status, init.stderr).toBe(0);
    hostKeyFingerprint = init.stdout.trim();

    apiPort = await freeTcpPort();
    metricsPort = await freeTcpPort();
    const text = readFileSync(config, 'utf8')
      .replace(/^listen = "0\.0\.0\.0:2222"$/m, `listen = "127.0.0.1:${apiPort}"`)
      .replace(/^listen = "127\.0\.0\.1:9464"$/m, `listen = "127.0.0.1:${metricsPort}"`)
      .replace(/^policy = "allowlist"$/m, 'policy = "open"');
    expect(text).toContain(`127.0.0.1:${apiPort}`);
    expect(text).toContain(`127.0.0.1:${metricsPort}`);
    expect(text).toContain('policy = "open"');
    writeFileSync(config, text);

    const passwordFile = join(dir, 'bmc-password');
    writeFileSync(passwordFile, 'not-a-real-password\n', { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
    // The daemon's power sync reads this BMC: loopback's discard port, where nothing answers, keeps that traffic on this host.
    const enroll = nimbusd('machine', 'enroll', '--config', config, '--name', 'rack1-u01', '--bmc-driver', 'ipmi', '--bmc-host', '127.0.0.1', '--bmc-port', '9',
      '--bmc-user', 'admin', '--bmc-password-file', passwordFile, '--mac', 'aa:bb:cc:00:00:01', '--json');
    expect(enroll.status, enroll.stderr).toBe(0);
    const machineId = (JSON.parse(enroll.stdout) as { id: string }).id;

    const { Store, stateDbPath } = (await import(pathToFileURL(BUILT_STATE).href)) as StoreModule;
    const store = new Store({ path: stateDbPath(stateDir), clock: () => new Date() });
    const system = { fingerprint: 'test', role: 'system' as const };
    store.transition(machineId, 'enrolled', 'inspecting', system);
    store.transition(machineId, 'inspecting', 'ready', system);
    store.close();
  });

  afterAll(() => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the SSH API and /metrics, and a tenant allocates the one ready machine', async () => {
    daemon = new Daemon(config);
    const listening = await daemon.waitFor('nimbusd listening');
    expect(listening).toMatchObject({ api: `127.0.0.1:${apiPort}`, metrics: `127.0.0.1:${metricsPort}`, hostKey: hostKeyFingerprint, tenantPolicy: 'open' });
    expect(await scrape(metricsPort)).toMatch(/^nimbusd_machines\{state="ready"\} 1$/m);

    const tenantKey = ssh2.utils.generateKeyPairSync('ed25519');
    const client = await NimbusApiClient.connect({ host: '127.0.0.1', port: apiPort, privateKey: tenantKey.private, hostKeyFingerprint });
    try {
      expect(await client.call('capacity', undefined)).toEqual({ free: 1, classes: { default: 1 } });
      const created = await client.call('instances.create', { request: { class: 'default' }, idempotencyKey: 'k1' });
      expect(created.created).toBe(true);
      expect(created.instance.state).toBe('allocated');
      expect(await client.call('capacity', undefined)).toEqual({ free: 0, classes: {} });
    } finally {
      client.close();
    }

    const metrics = await scrape(metricsPort);
    expect(metrics).toMatch(/^nimbusd_machines\{state="allocated"\} 1$/m);
    expect(metrics).toMatch(/^nimbusd_machines\{state="ready"\} 0$/m);
    expect(metrics).toMatch(/^nimbusd_api_requests_total\{method="instances.create",result="ok"\} 1$/m);
  });

  it('exits 1 naming the address when a second daemon finds the port in use', () => {
    const second = nimbusd('serve', '--config', config);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`127.0.0.1:${apiPort}`);
    expect(second.stderr).toContain('already in use');
  });

  it('stops cleanly on SIGTERM with exit status 0', async () => {
    expect(daemon?.child.exitCode).toBeNull();
    daemon!.child.kill('SIGTERM');
    expect(await daemon!.exited).toBe(0);
    expect(daemon!.lines.map((l) => l.msg)).toContain('nimbusd stopped');
  });
});
