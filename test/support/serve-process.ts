/**
 * A running built `nimbusd serve`: its output kept (and appended to a log file when given,
 * so the after-run secrets check sees it), its JSON log lines, its exit, and its memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { NIMBUSD_BIN } from './cli.ts';

export interface ServeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServeOptions {
  configPath: string;
  env: Record<string, string>;
  /** stdout and stderr are appended here as they come. */
  logFile?: string;
  /** More arguments after `serve --config FILE`. */
  args?: readonly string[];
}

export class ServeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ServeExit>;
  stdout = '';
  stderr = '';
  readonly startedAt = performance.now();
  #exit: ServeExit | undefined;

  constructor(options: ServeOptions) {
    this.child = spawn(process.execPath, [NIMBUSD_BIN, 'serve', '--config', options.configPath, ...(options.args ?? [])], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      this[stream] += chunk;
      if (options.logFile !== undefined) appendFileSync(options.logFile, chunk);
    };
    this.child.stdout!.setEncoding('utf8').on('data', keep('stdout'));
    this.child.stderr!.setEncoding('utf8').on('data', keep('stderr'));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The JSON lines written to stdout so far (a line that is not JSON is skipped). */
  logLines(): Record<string, unknown>[] {
    return this.stdout.split('\n').flatMap((line) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** The first log line with message `msg`; rejects when the process exits first or after `timeoutMs`. */
  async waitForLog(msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.logLines().find((l) => l.msg === msg);
      if (line) return line;
      if (!this.running) throw new Error(`nimbusd serve exited (${JSON.stringify(this.#exit)}) before logging ${JSON.stringify(msg)}: ${this.stderr.trim()}`);
      if (performance.now() > deadline) throw new Error(`nimbusd serve did not log ${JSON.stringify(msg)} within ${timeoutMs} ms: ${this.stderr.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Sends `signal` (if still running) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ServeExit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** Resident memory now (VmRSS) and at its peak so far (VmHWM), in KiB, from /proc/PID/status; undefined when not running or not Linux. */
  memoryKiB(): { rss: number; peak: number } | undefined {
    if (!this.running) return undefined;
    let status: string;
    try {
      status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return undefined;
    }
    const field = (name: string): number | undefined => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
      return match ? Number(match[1]) : undefined;
    };
    const rss = field('VmRSS');
    const peak = field('VmHWM');
    return rss === undefined || peak === undefined ? undefined : { rss, peak };
  }
}
