/**
 * A process in the lab namespace that a test talks to while it runs: through pipes, or
 * through a pseudo-terminal made by util-linux `script`, so that what the program sees is
 * a terminal (raw mode, Ctrl-C as a keystroke that the line discipline turns into SIGINT).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface InteractiveOptions {
  env: Record<string, string>;
  cwd: string;
  /** Run under a pseudo-terminal; default false (pipes). */
  tty?: boolean;
}

const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;

export class Interactive {
  readonly #child: ChildProcess;
  #stdout = '';
  #stderr = '';
  readonly exited: Promise<number | null>;

  constructor(netns: string, argv: readonly string[], options: InteractiveOptions) {
    const command = options.tty
      ? // `exec`: no shell between the terminal and the program, to add its own view of Ctrl-C.
        ['script', '--quiet', '--flush', '--return', '--command', `exec ${argv.map(quote).join(' ')}`, '/dev/null']
      : [...argv];
    this.#child = spawn('ip', ['netns', 'exec', netns, ...command], { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (d: Buffer) => (this.#stdout += d.toString('latin1')));
    this.#child.stderr!.on('data', (d: Buffer) => (this.#stderr += d.toString('latin1')));
    this.exited = new Promise((resolve) => this.#child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  }

  /** stdout (and, under a terminal, stderr too: both go to the terminal). */
  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  write(text: string): void {
    this.#child.stdin!.write(text);
  }

  signal(name: NodeJS.Signals): void {
    this.#child.kill(name);
  }

  /** Waits until stdout matches `pattern`; fails naming what came instead. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.#stdout.match(pattern);
      if (m) return m;
      if (Date.now() > deadline || this.#child.exitCode !== null) {
        throw new Error(`no ${pattern} within ${timeoutMs} ms (exit ${this.#child.exitCode}); stdout ends ${JSON.stringify(this.#stdout.slice(-400))}, stderr ${JSON.stringify(this.#stderr.slice(-400))}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the exit, killing the process if it takes longer than `timeoutMs`. */
  async exit(timeoutMs: number): Promise<number | null> {
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
