import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NIMBUSD_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'nimbusd', 'bin', 'run.js');

/** What one run of a built CLI gave: its exit status, its output, and stdout as JSON when it is JSON. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

export function parseJsonOutput(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

/** Runs a built Node CLI (`bin/run.js`) to completion with only the environment given. */
export function runBin(bin: string, args: readonly string[], opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number }): CliRun {
  const r = spawnSync(process.execPath, [bin, ...args], { env: opts.env, cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: parseJsonOutput(r.stdout) };
}
