/**
 * The Redfish emulator (test/redfish-emulator/cli.ts) in a process of its own, for
 * benchmarks where thousands of BMCs must not share the measuring process's event loop.
 * The password reaches it through the environment, never argv.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(import.meta.dirname, '..', 'redfish-emulator', 'cli.ts');
const PASSWORD_ENV = 'NIMBUS_EMULATOR_PASSWORD';

export interface EmulatorProcessOptions {
  /** Copies of the mockup's first system; default 1. */
  systems?: number;
  username?: string;
  password: string;
  /** Give up waiting for the URL after this long; default 60 s. */
  startTimeoutMs?: number;
}

export class RedfishEmulatorProcess {
  readonly url: string;
  readonly username: string;
  /** The path of every system, in the emulator's order. */
  readonly systemPaths: string[];
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, url: string, username: string, systemPaths: string[]) {
    this.#child = child;
    this.url = url;
    this.username = username;
    this.systemPaths = systemPaths;
  }

  static async start(options: EmulatorProcessOptions): Promise<RedfishEmulatorProcess> {
    const username = options.username ?? 'admin';
    const args = ['--conditions=nimbus:source', '--no-warnings', CLI, '--user', username, '--password-env', PASSWORD_ENV, '--systems', String(options.systems ?? 1)];
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [PASSWORD_ENV]: options.password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    try {
      const lines = createInterface({ input: child.stdout! });
      const timeout = AbortSignal.timeout(options.startTimeoutMs ?? 60_000);
      const [first] = (await Promise.race([
        once(lines, 'line', { signal: timeout }),
        once(child, 'exit').then(() => {
          throw new Error(`the Redfish emulator exited before printing its URL: ${stderr.trim()}`);
        }),
      ])) as [string];
      const url = first.trim();
      const auth = `Basic ${Buffer.from(`${username}:${options.password}`).toString('base64')}`;
      const response = await fetch(`${url}/redfish/v1/Systems`, { headers: { Authorization: auth } });
      if (!response.ok) throw new Error(`the Redfish emulator at ${url} answered ${response.status} for its systems`);
      const collection = (await response.json()) as { Members: { '@odata.id': string }[] };
      return new RedfishEmulatorProcess(child, url, username, collection.Members.map((m) => m['@odata.id']));
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.kill('SIGINT');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
