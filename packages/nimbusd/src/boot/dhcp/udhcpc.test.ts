/**
 * A real DHCP client against full mode: busybox's udhcpc in one network namespace, the
 * server (in a child process) in another, joined by a veth pair. The server's namespace
 * has no default route, so this also proves broadcast replies leave without one.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DhcpEvent } from './server-options.ts';

const run = promisify(execFile);

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  if (!onPath('ip')) return '`ip` (iproute2) is not installed';
  if (!onPath('busybox')) return 'busybox is not installed (Debian package busybox-static)';
  if (spawnSync('busybox', ['udhcpc', '--help']).stderr.toString().includes('applet not found')) return 'this busybox has no udhcpc applet';
  return undefined;
}

const SKIP = skipReason();
const TAG = `${process.pid % 100000}`;
const SERVER_NS = `nimbus-dhcp-s${TAG}`;
const CLIENT_NS = `nimbus-dhcp-c${TAG}`;
const SERVER_IF = `ndhs${TAG}`;
const CLIENT_IF = `ndhc${TAG}`;
const CLIENT_MAC = '02:00:0a:e7:00:42';
const SERVER_ADDRESS = '10.231.0.1';
const BOOT_FILE = 'undionly.kpxe';
const RUNNER = fileURLToPath(new URL('./testdata/server-runner.ts', import.meta.url));

// Configures the address like a real client would (udhcpc sends RELEASE from it) and records what it got.
const SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface" ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$subnet" dev "$interface"
    for v in ip subnet router serverid siaddr sname boot_file bootfile tftp lease; do eval "echo $v=\\$$v"; done > "$UDHCPC_OUT.$1" ;;
esac
`;

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr}`);
}

function removeNamespaces(): void {
  for (const ns of [SERVER_NS, CLIENT_NS]) spawnSync('ip', ['netns', 'del', ns]);
}

describe.skipIf(SKIP !== undefined)(`busybox udhcpc against full mode in network namespaces${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let dir: string;
  let runner: ChildProcess | undefined;
  let daemon: ChildProcess | undefined;
  const events: DhcpEvent[] = [];

  const udhcpcArgs = (): string[] => ['netns', 'exec', CLIENT_NS, 'busybox', 'udhcpc', '-i', CLIENT_IF, '-f', '-s', join(dir, 'script.sh'), '-t', '5', '-T', '1'];
  const scriptSaw = (name: string, state: string): Record<string, string> =>
    Object.fromEntries(readFileSync(join(dir, `${name}.env.${state}`), 'utf8').trim().split('\n').map((line) => line.split('=', 2) as [string, string]));

  /** Runs udhcpc until it has a lease (asynchronously, so the runner's event lines keep coming in); returns what its script saw. */
  async function udhcpcOnce(name: string): Promise<Record<string, string>> {
    try {
      await run('ip', [...udhcpcArgs(), '-n', '-q'], { env: { ...process.env, UDHCPC_OUT: join(dir, `${name}.env`) }, timeout: 20_000 });
    } catch (error) {
      throw new Error(`udhcpc failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
    }
    return scriptSaw(name, 'bound');
  }

  async function eventually(check: () => boolean): Promise<boolean> {
    const deadline = Date.now() + 5_000;
    while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return check();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-dhcp-udhcpc-'));
    writeFileSync(join(dir, 'script.sh'), SCRIPT);
    chmodSync(join(dir, 'script.sh'), 0o755);
    removeNamespaces();
    ip('netns', 'add', SERVER_NS);
    ip('netns', 'add', CLIENT_NS);
    ip('link', 'add', SERVER_IF, 'netns', SERVER_NS, 'type', 'veth', 'peer', 'name', CLIENT_IF, 'netns', CLIENT_NS);
    ip('-n', CLIENT_NS, 'link', 'set', CLIENT_IF, 'address', CLIENT_MAC);
    ip('-n', SERVER_NS, 'addr', 'add', `${SERVER_ADDRESS}/24`, 'dev', SERVER_IF);
    for (const [ns, dev] of [[SERVER_NS, SERVER_IF], [CLIENT_NS, CLIENT_IF], [SERVER_NS, 'lo'], [CLIENT_NS, 'lo']] as const) ip('-n', ns, 'link', 'set', dev, 'up');

    const config = {
      mode: 'full',
      serverAddress: SERVER_ADDRESS,
      pool: { start: '10.231.0.100', end: '10.231.0.150', netmask: '255.255.255.0', leaseSeconds: 600 },
      leaseFile: join(dir, 'leases.json'),
      bootFiles: { bios: BOOT_FILE, uefi: BOOT_FILE, ipxe: BOOT_FILE },
    };
    runner = spawn('ip', ['netns', 'exec', SERVER_NS, process.execPath, '--conditions=nimbus:source', '--no-warnings', RUNNER, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: runner.stdout as NodeJS.ReadableStream });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the DHCP server runner did not start in 15 s')), 15_000);
      lines.on('line', (line) => {
        const parsed = JSON.parse(line) as { ready?: unknown; error?: string; event?: DhcpEvent };
        if (parsed.event) events.push(parsed.event);
        if (parsed.ready) {
          clearTimeout(timer);
          resolve();
        }
        if (parsed.error) reject(new Error(`the DHCP server runner failed: ${parsed.error}`));
      });
      runner?.once('exit', (code) => reject(new Error(`the DHCP server runner exited with ${code}`)));
    });
  }, 30_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    if (runner && runner.exitCode === null) {
      const exited = new Promise((resolve) => runner?.once('exit', resolve));
      runner.stdin?.end();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
      if (runner.exitCode === null) runner.kill('SIGKILL');
    }
    removeNamespaces();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gets a pool address, the network settings and the boot file', async () => {
    const env = await udhcpcOnce('first');
    expect(env).toMatchObject({
      ip: '10.231.0.100',
      subnet: '255.255.255.0',
      serverid: SERVER_ADDRESS,
      siaddr: SERVER_ADDRESS,
      boot_file: BOOT_FILE,
      bootfile: BOOT_FILE,
      tftp: SERVER_ADDRESS,
      lease: '600',
    });
    const answered = (): Array<string | undefined> => events.filter((e) => e.outcome === 'answered').map((e) => e.reply);
    await eventually(() => answered().length >= 2);
    expect(answered()).toEqual(['OFFER', 'ACK']);
    const leases = JSON.parse(readFileSync(join(dir, 'leases.json'), 'utf8')) as { leases: Array<{ address: string; mac: string; state: string }> };
    expect(leases.leases).toMatchObject([{ address: '10.231.0.100', mac: CLIENT_MAC, state: 'bound' }]);
  });

  it('gives the same client the same address, renews it by unicast and records its RELEASE', async () => {
    // udhcpc keeps running: SIGUSR1 makes it renew (unicast REQUEST from its address), SIGUSR2 release.
    daemon = spawn('ip', udhcpcArgs(), { env: { ...process.env, UDHCPC_OUT: join(dir, 'second.env') }, stdio: 'ignore' });
    expect(await eventually(() => existsSync(join(dir, 'second.env.bound')))).toBe(true);
    expect(scriptSaw('second', 'bound').ip).toBe('10.231.0.100');

    const acks = (): number => events.filter((e) => e.reply === 'ACK').length;
    const before = acks();
    daemon.kill('SIGUSR1');
    expect(await eventually(() => existsSync(join(dir, 'second.env.renew')) && acks() > before)).toBe(true);
    expect(scriptSaw('second', 'renew')).toMatchObject({ ip: '10.231.0.100', lease: '600', boot_file: BOOT_FILE });

    daemon.kill('SIGUSR2');
    expect(await eventually(() => events.some((e) => e.messageType === 'RELEASE'))).toBe(true);
    expect(events.find((e) => e.messageType === 'RELEASE')).toMatchObject({ outcome: 'ignored', reason: 'recorded', mac: CLIENT_MAC });
    const leases = JSON.parse(readFileSync(join(dir, 'leases.json'), 'utf8')) as { leases: Array<{ address: string; state: string }> };
    expect(leases.leases).toMatchObject([{ address: '10.231.0.100', state: 'released' }]);
  });
});
