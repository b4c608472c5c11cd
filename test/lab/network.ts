/**
 * An isolated network for boot tests: a network namespace with a bridge (IPv4 /24 and an
 * IPv6 ULA /64), radvd sending router advertisements on it (iPXE otherwise waits ~15 s for
 * an IPv6 router, NOTES gotcha 2), taps for VMs, and processes started inside it. It has no
 * link to the host: everything that talks to the VMs (DHCP/TFTP/HTTP servers, BMCs, the
 * daemon under test) runs inside, through `spawn`/`run` (`ip netns exec`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabConfigError, LabTimeoutError } from './errors.ts';
import { runCommand, type RunOptions, type RunResult } from './exec.ts';

export const BRIDGE = 'br0';
/** Set to 1 to keep a network's folder (logs, VM state) after destroy(). */
export const KEEP_FILES_ENV = 'NIMBUS_LAB_KEEP';
const NAME_PREFIX = 'nimbus-lab';
/** `<prefix>-<pid>-<n>`: the pid says whether the namespace's owner is still alive. */
const NAME_PATTERN = /^(nimbus-lab[a-z0-9-]*)-(\d+)-(\d+)$/;
/** Host numbers .2 … this one are handed out by allocateAddress() (BMCs, extra servers). */
const LAST_STATIC_HOST = 99;

export interface LabNetworkOptions {
  /** Name prefix of the namespace, default `nimbus-lab`; must start with it (stale sweeps look for it). */
  prefix?: string;
  /** Keep the folder with logs and VM state after destroy() (also: env NIMBUS_LAB_KEEP=1). */
  keepFiles?: boolean;
}

export interface SpawnOptions {
  /** Where stdout and stderr go (appended). */
  log: string;
  /** Added to this process's environment: the place for secrets, not argv. */
  env?: Record<string, string>;
  cwd?: string;
}

/** A process running inside a lab network; `stop()` ends it (and is safe to call twice). */
export class LabProcess {
  readonly pid: number;
  readonly log: string;
  readonly command: string;
  /** The exit code, or null when a signal ended it. */
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;

  constructor(child: ChildProcess, command: string, log: string) {
    this.#child = child;
    this.pid = child.pid as number;
    this.command = command;
    this.log = log;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 2_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    if (!(await this.#exitWithin(graceMs)) && this.running) {
      this.#child.kill('SIGKILL');
      await this.#exitWithin(5_000);
    }
  }

  /** The child is unref'd, so a timer keeps this process alive while it waits for the exit. */
  async #exitWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([this.exited.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
    clearTimeout(timer);
    return ended;
  }
}

const live = new Set<LabNetwork>();
let exitHookInstalled = false;
let counter = 0;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ipSync(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

function namespacePids(name: string): number[] {
  try {
    return ipSync(['netns', 'pids', name]).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function listNamespaces(): string[] {
  try {
    return ipSync(['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
  } catch {
    return [];
  }
}

/** Kills what runs in the namespace, deletes it and its folder. Synchronous: also used on process exit. */
function removeNamespaceSync(name: string, dir: string | undefined): void {
  for (const pid of namespacePids(name)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    ipSync(['netns', 'del', name]);
  } catch {
    // already deleted
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

/** Namespaces of lab networks whose owning process is gone (a crashed or killed test run). */
function sweepStale(): void {
  for (const name of listNamespaces()) {
    const m = NAME_PATTERN.exec(name);
    if (!m || pidAlive(Number(m[2]))) continue;
    removeNamespaceSync(name, join(tmpdir(), name));
  }
}

function usedSubnets(): Set<string> {
  const used = new Set<string>();
  for (const name of listNamespaces()) {
    if (!NAME_PATTERN.test(name)) continue;
    try {
      for (const m of ipSync(['-n', name, '-4', '-o', 'addr', 'show', 'dev', BRIDGE]).matchAll(/inet (\d+\.\d+\.\d+)\.\d+\//g)) used.add(m[1] as string);
    } catch {
      // being deleted
    }
  }
  return used;
}

function destroyAllSync(): void {
  for (const network of live) network.destroySync();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', destroyAllSync);
  // Ctrl-C on a script: clean up, then die of the signal as before. Where someone else
  // already handles the signal (a test runner), leave it to them; the next create()
  // sweeps what a killed process left.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      destroyAllSync();
      process.kill(process.pid, signal);
    });
  }
}

export class LabNetwork {
  /** The namespace name, `nimbus-lab-<pid>-<n>`. */
  readonly name: string;
  readonly bridge = BRIDGE;
  /** The bridge's IPv4 address, e.g. `10.77.3.1`: where servers in the namespace listen for the VMs. */
  readonly address: string;
  readonly prefixLength = 24;
  /** e.g. `10.77.3.0/24`. */
  readonly subnet: string;
  /** The bridge's IPv6 ULA address (router advertisements announce its /64). */
  readonly ipv6Address: string;
  /** e.g. `fd6e:6c61:6200:4d03::/64`. */
  readonly ipv6Subnet: string;
  /** A range for a DHCP server's leases that allocateAddress() never hands out (.100 – .199). */
  readonly dhcpPool: { first: string; last: string };
  /** A folder for this network's logs, VM state and configs (removed by destroy()). */
  readonly dir: string;
  readonly #net3: string;
  readonly #keepFiles: boolean;
  readonly #processes = new Set<LabProcess>();
  #taps = 0;
  #nextHost = 2;
  #destroyed: Promise<void> | undefined;

  private constructor(name: string, net3: string, ipv6Prefix: string, dir: string, keepFiles: boolean) {
    this.name = name;
    this.#net3 = net3;
    this.address = `${net3}.1`;
    this.subnet = `${net3}.0/24`;
    this.ipv6Address = `${ipv6Prefix}::1`;
    this.ipv6Subnet = `${ipv6Prefix}::/64`;
    this.dhcpPool = { first: `${net3}.100`, last: `${net3}.199` };
    this.dir = dir;
    this.#keepFiles = keepFiles;
  }

  /** Makes the namespace, bridge, addresses and radvd; removes stale lab namespaces first. */
  static async create(options: LabNetworkOptions = {}): Promise<LabNetwork> {
    const prefix = options.prefix ?? NAME_PREFIX;
    if (!/^nimbus-lab[a-z0-9-]*$/.test(prefix) || prefix.endsWith('-')) {
      throw new LabConfigError(`LabNetwork prefix "${prefix}": must start with "${NAME_PREFIX}" and use only a-z, 0-9 and inner dashes`);
    }
    sweepStale();
    const n = counter++;
    const name = `${prefix}-${process.pid}-${n}`;
    // Namespaces keep addresses apart anyway; distinct subnets keep logs unambiguous and
    // leave room to link two labs later.
    const used = usedSubnets();
    let second = 64 + (process.pid % 128);
    let third = n % 256;
    for (let tries = 0; used.has(`10.${second}.${third}`) && tries < 256 * 128; tries++) {
      third = (third + 1) % 256;
      if (third === 0) second = 64 + ((second - 63) % 128);
    }
    const net3 = `10.${second}.${third}`;
    const ipv6Prefix = `fd6e:6c61:6200:${((second << 8) | third).toString(16)}`;
    const dir = join(tmpdir(), name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'logs'), { recursive: true });

    const network = new LabNetwork(name, net3, ipv6Prefix, dir, options.keepFiles ?? process.env[KEEP_FILES_ENV] === '1');
    installExitHook();
    live.add(network);
    try {
      await network.#setUp();
    } catch (err) {
      await network.destroy();
      throw err;
    }
    return network;
  }

  async #setUp(): Promise<void> {
    const ip = (...args: string[]) => runCommand('ip', args, { timeoutMs: 10_000 });
    await ip('netns', 'add', this.name);
    await ip('-n', this.name, 'link', 'set', 'lo', 'up');
    await ip('-n', this.name, 'link', 'add', BRIDGE, 'type', 'bridge');
    await ip('-n', this.name, 'addr', 'add', `${this.address}/${this.prefixLength}`, 'dev', BRIDGE);
    // nodad: the bridge has no carrier until a VM opens a tap; without it the address stays tentative.
    await ip('-n', this.name, 'addr', 'add', `${this.ipv6Address}/64`, 'dev', BRIDGE, 'nodad');
    await ip('-n', this.name, 'link', 'set', BRIDGE, 'up');
    // A DHCP server bound to 0.0.0.0 broadcasts its replies; without a route for
    // 255.255.255.255 the namespace (which has no default route) cannot send them.
    await ip('-n', this.name, 'route', 'add', '255.255.255.255/32', 'dev', BRIDGE);
    // A router that advertises should forward; radvd warns otherwise. Namespace-local.
    await this.run('sh', ['-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding']);
    await this.#startRadvd();
  }

  async #startRadvd(): Promise<void> {
    const conf = join(this.dir, 'radvd.conf');
    writeFileSync(
      conf,
      `# router advertisements for the lab bridge, so iPXE's IPv6 configuration ends at once
interface ${BRIDGE} {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 10;
  prefix ${this.ipv6Subnet} {
    AdvOnLink on;
    AdvAutonomous on;
  };
};
`,
      { mode: 0o644 },
    );
    const radvd = this.spawn('radvd', ['--nodaemon', '--config', conf, '--pidfile', join(this.dir, 'radvd.pid'), '--logmethod', 'stderr'], { log: join(this.dir, 'logs', 'radvd.log') });
    // radvd checks its config before it settles; an early exit means it refused it.
    const early = await Promise.race([radvd.exited.then((code) => ({ code })), sleep(200).then(() => undefined)]);
    if (early !== undefined) throw new LabTimeoutError(`radvd in ${this.name} exited at once (code ${early.code}); see ${radvd.log}`);
  }

  /** Adds a tap (`tap0`, `tap1`, …) to the bridge and returns its name; one per VM. */
  addTap(): string {
    this.#assertLive();
    const tap = `tap${this.#taps++}`;
    ipSync(['-n', this.name, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    ipSync(['-n', this.name, 'link', 'set', tap, 'master', BRIDGE]);
    ipSync(['-n', this.name, 'link', 'set', tap, 'up']);
    return tap;
  }

  /** Adds another IPv4 address (.2 – .99) to the bridge and returns it, e.g. for a BMC to listen on. */
  allocateAddress(): string {
    this.#assertLive();
    if (this.#nextHost > LAST_STATIC_HOST) throw new LabConfigError(`${this.name}: all ${LAST_STATIC_HOST - 1} static addresses are taken`);
    const address = `${this.#net3}.${this.#nextHost++}`;
    ipSync(['-n', this.name, 'addr', 'add', `${address}/${this.prefixLength}`, 'dev', BRIDGE]);
    return address;
  }

  /** The argv that runs `cmd args` inside the namespace, for callers that spawn on their own. */
  execArgv(cmd: string, args: readonly string[] = []): string[] {
    return ['ip', 'netns', 'exec', this.name, cmd, ...args];
  }

  /** Starts `cmd` inside the namespace; destroy() stops it. Output goes to `options.log`. */
  spawn(cmd: string, args: readonly string[], options: SpawnOptions): LabProcess {
    this.#assertLive();
    const fd = openSync(options.log, 'a');
    try {
      // `ip netns exec` execs the command, so the child's pid is the command's own.
      const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
        stdio: ['ignore', fd, fd],
        env: options.env ? { ...process.env, ...options.env } : process.env,
        cwd: options.cwd,
      });
      child.on('error', () => undefined); // surfaces as exit; the log says why
      // A background service must not keep this process alive: when it ends, the exit
      // hook ends the service.
      child.unref();
      const proc = new LabProcess(child, cmd, options.log);
      this.#processes.add(proc);
      void proc.exited.then(() => this.#processes.delete(proc));
      return proc;
    } finally {
      closeSync(fd);
    }
  }

  /** Runs `cmd` inside the namespace to completion (default limit 30 s; a failure throws). */
  run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.#assertLive();
    return runCommand('ip', ['netns', 'exec', this.name, cmd, ...args], options);
  }

  /** Every process in the namespace right now (ours and what they started, e.g. daemonized qemu). */
  pids(): number[] {
    return namespacePids(this.name);
  }

  /** Stops everything started in the namespace, deletes it and (unless kept) its folder. Idempotent. */
  destroy(): Promise<void> {
    this.#destroyed ??= this.#teardown();
    return this.#destroyed;
  }

  async #teardown(): Promise<void> {
    await Promise.all([...this.#processes].map((p) => p.stop()));
    // What our processes started on their own (qemu -daemonize) is still in the namespace.
    const rest = this.pids();
    for (const pid of rest) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    for (let i = 0; i < 100 && this.pids().length > 0; i++) await sleep(20);
    removeNamespaceSync(this.name, this.#keepFiles ? undefined : this.dir);
    live.delete(this);
  }

  /** For the process 'exit' hook: no waiting, SIGKILL. */
  destroySync(): void {
    if (!live.has(this)) return;
    live.delete(this);
    removeNamespaceSync(this.name, this.#keepFiles ? undefined : this.dir);
  }

  #assertLive(): void {
    if (this.#destroyed !== undefined || !live.has(this)) throw new LabConfigError(`lab network ${this.name} was destroyed`);
  }
}
