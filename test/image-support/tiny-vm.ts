/**
 * Boots a disk image in qemu under TCG the way a machine boots it: from the disk, through
 * SeaBIOS (pc, virtio disk and NIC) or OVMF (q35, AHCI disk, e1000e NIC). Networking is
 * qemu's user mode with restrict=on, so the guest reaches nothing; only its port 22 is
 * forwarded from 127.0.0.1. The serial console goes to a file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';

export type Firmware = 'bios' | 'uefi';

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export interface TinyVmOptions {
  firmware: Firmware;
  /** A raw disk image; the VM writes to it. */
  disk: string;
  /** Host port on 127.0.0.1 forwarded to the guest's port 22. */
  sshPort: number;
  serialLog: string;
  /** For UEFI: where this VM's copy of the OVMF variable store goes. */
  uefiVars?: string;
  memoryMiB?: number;
}

export class TinyVmError extends Error {
  readonly code = 'TINY_VM';
}

const running = new Set<ChildProcess>();

/** Kills every VM still running (for afterAll, also after a failed test). */
export function killAllTinyVms(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function qemuArgs(o: TinyVmOptions): string[] {
  const common = ['-accel', 'tcg', '-smp', '1', '-display', 'none', '-no-reboot', '-serial', `file:${o.serialLog}`];
  // romfile= drops the NIC's iPXE option ROM: the firmware boots the disk without trying PXE first.
  const netdev = ['-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`];
  if (o.firmware === 'bios') {
    return [
      ...common,
      '-machine', 'pc',
      '-m', String(o.memoryMiB ?? 256),
      '-drive', `file=${o.disk},format=raw,if=virtio`,
      ...netdev,
      '-device', 'virtio-net-pci,netdev=n0,romfile=',
    ];
  }
  if (!o.uefiVars) throw new TinyVmError('a UEFI VM needs uefiVars: a path for its copy of the OVMF variable store');
  copyFileSync(OVMF_VARS, o.uefiVars);
  return [
    ...common,
    '-machine', 'q35',
    '-m', String(o.memoryMiB ?? 512),
    '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
    '-drive', `if=pflash,format=raw,file=${o.uefiVars}`,
    '-drive', `file=${o.disk},format=raw,if=none,id=d0`,
    '-device', 'ide-hd,drive=d0,bus=ide.0,bootindex=0',
    ...netdev,
    '-device', 'e1000e,netdev=n0,romfile=',
  ];
}

/** Drops ANSI escapes and carriage returns (OVMF and GRUB draw on the serial console). */
export function plainText(console: string): string {
  return console.replace(/\x1b\[[0-9;?=]*[a-zA-Z]/g, '').replace(/\r/g, '');
}

export class TinyVm {
  readonly options: TinyVmOptions;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly startedAt = performance.now();
  private stderr = '';
  private exitCode: number | null | undefined;

  constructor(options: TinyVmOptions) {
    this.options = options;
    this.child = spawn('qemu-system-x86_64', qemuArgs(options), { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(this.child);
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (this.stderr.length < 16 * 1024) this.stderr += d;
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.stderr += String(err);
        this.exitCode = null;
        running.delete(this.child);
        resolve(null);
      });
      this.child.once('exit', (code) => {
        this.exitCode = code;
        running.delete(this.child);
        resolve(code);
      });
    });
  }

  /** Seconds since qemu was started. */
  seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** The serial console so far, as plain text. */
  console(): string {
    return existsSync(this.options.serialLog) ? plainText(readFileSync(this.options.serialLog, 'utf8')) : '';
  }

  private failure(what: string): TinyVmError {
    const tail = this.console().split('\n').slice(-25).join('\n');
    return new TinyVmError(`${this.options.firmware} VM (${this.options.disk}): ${what}\n--- serial console (last lines) ---\n${tail}\n--- qemu stderr ---\n${this.stderr}`);
  }

  /** The first match of `pattern` on the console; fails when qemu exits first or after `timeoutMs` (and kills qemu). */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<{ match: RegExpMatchArray; seconds: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const match = this.console().match(pattern);
      if (match) return { match, seconds: this.seconds() };
      if (this.exitCode !== undefined) throw this.failure(`qemu exited (status ${this.exitCode}) before the console showed ${pattern}`);
      if (performance.now() > deadline) {
        this.kill();
        throw this.failure(`no ${pattern} on the console within ${timeoutMs / 1000} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** qemu's exit status once the guest has powered off or rebooted (-no-reboot); kills qemu after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.kill();
      throw this.failure(`still running ${timeoutMs / 1000} s after it was told to stop`);
    }
    return result;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
