/**
 * Runs a program to completion with a time limit and returns its output. Arguments end up
 * in error messages: pass secrets through `env`, never in `args`.
 */
import { execFile } from 'node:child_process';
import { LabCommandError } from './errors.ts';

export interface RunOptions {
  /** Default 30 000 ms; the program gets SIGKILL after it. */
  timeoutMs?: number;
  /** Added to (not replacing) this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Default true: a non-zero exit throws LabCommandError. */
  check?: boolean;
}

export interface RunResult {
  /** null when the program was killed (time limit). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export const DEFAULT_RUN_TIMEOUT_MS = 30_000;

function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function runCommand(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeout = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout, killSignal: 'SIGKILL', maxBuffer: 16 << 20, env: options.env ? { ...process.env, ...options.env } : process.env, cwd: options.cwd },
      (err, stdout, stderr) => {
        const failure = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        const code = failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null;
        if (failure !== null && failure.code === 'ENOENT') {
          reject(new LabCommandError(`${cmd}: program not found on PATH (install it, see test/lab/prerequisites.ts)`, null, { cause: err }));
          return;
        }
        const result = { code, stdout, stderr };
        if (failure === null || options.check === false) {
          resolve(result);
          return;
        }
        const why = failure.killed ? `was killed after ${timeout} ms` : `exited with ${code ?? 'a signal'}`;
        reject(new LabCommandError(`${cmd} ${args.join(' ')} ${why}: ${tail(`${stderr}${stdout}`) || '(no output)'}`, code, { cause: err }));
      },
    );
  });
}
