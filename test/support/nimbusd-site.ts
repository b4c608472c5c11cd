/**
 * A nimbusd site for end-to-end tests and benchmarks, made the way an operator makes one:
 * `nimbusd init` (config, state dir, host key), then the config edited to listen on free
 * loopback ports with the tenant policy, admins and log level the test wants. Machines
 * are added separately (test/support/ready-machines.ts or `nimbusd machine enroll`).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { NIMBUSD_BIN, parseJsonOutput, runBin, type CliRun } from './cli.ts';
import { freeTcpPort } from './free-port.ts';

// Tests that make a site import the port helper from here too.
export { freeTcpPort };

/** What `nimbusd serve` needs built; tests skip without it (`./scripts/setup` builds it). */
export const BUILT_SERVE = join(NIMBUSD_BIN, '..', '..', 'dist', 'commands', 'serve.js');

export function nimbusdBuilt(): boolean {
  return existsSync(BUILT_SERVE);
}

export interface SiteOptions {
  /** Default `t1`. */
  providerId?: string;
  /** Default `open`: any key is a tenant. */
  tenantPolicy?: 'open' | 'allowlist';
  /** Fingerprints of admin keys; default none. */
  adminKeys?: readonly string[];
  /** Fingerprints of tenant keys (what `allowlist` lets in); default none. */
  tenantKeys?: readonly string[];
  /** nimbusd's `log.level`; default `info`. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Serve /metrics on a free loopback port; default false (disabled). */
  metrics?: boolean;
}

export interface NimbusdSite {
  dir: string;
  configPath: string;
  stateDir: string;
  /** The host key's `SHA256:` fingerprint, as `nimbusd init` printed it. */
  hostKeyFingerprint: string;
  /** The host key's `ssh-ed25519 AAAA…` line (for an OpenSSH known_hosts file). */
  hostPublicKey: string;
  apiPort: number;
  metricsPort: number | undefined;
  /** The only environment nimbusd is run with: PATH and a HOME of its own. */
  env: Record<string, string>;
  /** Runs the built `nimbusd` to completion in this site's environment. */
  nimbusd(args: readonly string[]): CliRun;
  /**
   * The same without blocking this process, with `env` added: for runs that talk to a
   * peer served from this process (an in-process BMC emulator).
   */
  nimbusdAsync(args: readonly string[], env?: Record<string, string>): Promise<CliRun>;
  /** Deletes the site's directory. */
  remove(): void;
}

function runNimbusdAsync(args: readonly string[], env: Record<string, string>, cwd: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [NIMBUSD_BIN, ...args], { env, cwd, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : null, stdout, stderr, json: parseJsonOutput(stdout) });
    });
  });
}

type Table = Record<string, unknown>;

function table(config: Table, name: string): Table {
  const value = config[name];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Table;
  const created: Table = {};
  config[name] = created;
  return created;
}

export async function createSite(options: SiteOptions = {}): Promise<NimbusdSite> {
  const dir = mkdtempSync(join(tmpdir(), 'nimbusd-site-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  const nimbusd = (args: readonly string[]): CliRun => runBin(NIMBUSD_BIN, args, { env, cwd: dir });
  try {
    const configPath = join(dir, 'nimbusd.toml');
    const stateDir = join(dir, 'state');
    const init = nimbusd(['init', '--config', configPath, '--state-dir', stateDir, '--provider-id', options.providerId ?? 't1']);
    if (init.status !== 0) throw new Error(`nimbusd init failed (exit ${init.status}): ${init.stderr}`);
    const hostKeyFingerprint = init.stdout.trim();

    const apiPort = await freeTcpPort();
    const metricsPort = options.metrics ? await freeTcpPort() : undefined;
    const config = parse(readFileSync(configPath, 'utf8')) as Table;
    const api = table(config, 'api');
    api['listen'] = `127.0.0.1:${apiPort}`;
    table(config, 'admins')['keys'] = [...(options.adminKeys ?? [])];
    const tenants = table(config, 'tenants');
    tenants['policy'] = options.tenantPolicy ?? 'open';
    tenants['keys'] = [...(options.tenantKeys ?? [])];
    const metrics = table(config, 'metrics');
    if (metricsPort === undefined) metrics['enabled'] = false;
    else metrics['listen'] = `127.0.0.1:${metricsPort}`;
    table(config, 'log')['level'] = options.logLevel ?? 'info';
    writeFileSync(configPath, stringify(config));
    const check = nimbusd(['check-config', '--config', configPath]);
    if (check.status !== 0) throw new Error(`nimbusd check-config refused the test site's config: ${check.stderr}`);

    const hostPublicKey = readFileSync(`${String(api['host_key'])}.pub`, 'utf8').trim();
    return {
      dir,
      configPath,
      stateDir,
      hostKeyFingerprint,
      hostPublicKey,
      apiPort,
      metricsPort,
      env,
      nimbusd,
      nimbusdAsync: (args, extra = {}) => runNimbusdAsync(args, { ...env, ...extra }, dir),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
