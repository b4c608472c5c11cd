/**
 * Boots the deploy ramdisk in qemu (TCG, direct -kernel/-initrd) with one virtio disk and one
 * virtio NIC on user-mode networking: the guest is cut off from the host and the outside
 * (restrict=on), except 10.0.2.100:80, which is forwarded to a server on 127.0.0.1 through
 * one `busybox nc` per connection.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The address the guest reaches the test's API server at. */
export const GUEST_API = 'http://10.0.2.100';

export interface RamdiskBoot {
  kernel: string;
  initrd: string;
  /** The kernel command line. */
  append: string;
  /** A raw disk image, attached as virtio (vda). */
  disk: string;
  /** Extra -drive options for the disk (e.g. `discard=ignore`). */
  diskOptions?: string;
  mac: string;
  /** Port of the API server on 127.0.0.1. */
  apiPort: number;
  /** The serial console goes here. */
  consoleLog: string;
  timeoutMs: number;
  memoryMiB?: number;
}

export interface BootOutcome {
  /** qemu's exit status; null when it was killed at the time limit. */
  exitCode: number | null;
  timedOut: boolean;
  seconds: number;
  console: string;
  stderr: string;
}

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

/** Why qemu boots cannot run here, or undefined when they can. */
export function qemuMissing(): string | undefined {
  if (!onPath('qemu-system-x86_64')) return 'qemu-system-x86_64 not installed (Debian package qemu-system-x86)';
  if (!onPath('busybox')) return 'busybox not installed (Debian package busybox-static; its nc forwards the guest to the API)';
  return undefined;
}

const running = new Set<ChildProcess>();

/** Kills the qemu processes still running (for afterAll). */
export function killRunningQemus(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export function bootRamdisk(boot: RamdiskBoot): Promise<BootOutcome> {
  const args = [
    '-accel', 'tcg',
    '-m', String(boot.memoryMiB ?? 512),
    '-smp', '1',
    '-nodefaults',
    '-display', 'none',
    '-no-reboot',
    '-serial', `file:${boot.consoleLog}`,
    '-kernel', boot.kernel,
    '-initrd', boot.initrd,
    '-append', boot.append,
    '-drive', `file=${boot.disk},format=raw,if=virtio${boot.diskOptions ? `,${boot.diskOptions}` : ''}`,
    '-netdev', `user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:80-cmd:busybox nc 127.0.0.1 ${boot.apiPort}`,
    '-device', `virtio-net-pci,netdev=n0,mac=${boot.mac}`,
  ];
  const started = performance.now();
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, boot.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      let console = '';
      try {
        console = readFileSync(boot.consoleLog, 'utf8');
      } catch {
        // qemu never opened the log
      }
      resolve({ exitCode: timedOut ? null : code, timedOut, seconds: (performance.now() - started) / 1000, console, stderr });
    });
  });
}

/** The agent's console lines (`NIMBUS-AGENT: …`), for failure messages and the report. */
export function agentLines(console: string): string[] {
  return console
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => l.includes('NIMBUS-AGENT:'));
}
