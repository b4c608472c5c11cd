import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJsonOutput } from './cli.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NIMBUSCTL_BIN = join(REPO_ROOT, 'packages', 'nimbusctl', 'bin', 'run.js');
const BUILT = join(REPO_ROOT, 'packages', 'nimbusctl', 'dist', 'commands');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON. */
  json: any;
}

/**
 * Runs the built nimbusctl binary as a user would, with its own XDG folders so no
 * test sees another's config or cache.
 */
export class NimbusctlHome {
  readonly root = mkdtempSync(join(tmpdir(), 'nimbusctl-home-'));
  readonly env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: this.root,
    XDG_CONFIG_HOME: join(this.root, 'config'),
    XDG_CACHE_HOME: join(this.root, 'cache'),
    XDG_STATE_HOME: join(this.root, 'state'),
  };

  constructor() {
    if (!existsSync(BUILT)) throw new Error(`nimbusctl is not built (${BUILT} is missing): run ./scripts/setup first`);
  }

  run(args: readonly string[], opts: { cwd?: string } = {}): CliResult {
    const out = spawnSync(process.execPath, [NIMBUSCTL_BIN, ...args], {
      cwd: opts.cwd ?? this.root,
      env: this.env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: out.status ?? -1, stdout: out.stdout, stderr: out.stderr, json: parseJsonOutput(out.stdout) };
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
