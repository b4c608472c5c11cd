/**
 * Which qemu accelerator works here. /dev/kvm existing proves nothing: on these hosts it is
 * served by kvm_pvm, under which firmware starts but real guests stall or die (NOTES §2).
 * So a guest is booted for real: iPXE as a kernel under SeaBIOS, with -accel kvm; if its
 * banner reaches the serial port in time, KVM works, otherwise TCG is used.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IPXE_LKRN } from './prerequisites.ts';
import { serconPortFile } from './sercon.ts';

export type Accel = 'kvm' | 'tcg';

/** How long the KVM smoke boot may take; under real KVM the banner comes in well under 1 s. */
export const KVM_SMOKE_TIMEOUT_MS = 5_000;
/** Set to `kvm` or `tcg` to skip detection. */
export const ACCEL_ENV = 'NIMBUS_LAB_ACCEL';
const MARKER = 'iPXE initialising devices';

let cached: Promise<Accel> | undefined;

/** `kvm` when a guest really runs under KVM here, else `tcg`. Detected once per process (and per boot, in a file under the temp dir). */
export function detectAccel(): Promise<Accel> {
  cached ??= detect();
  return cached;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

async function detect(): Promise<Accel> {
  const forced = process.env[ACCEL_ENV];
  if (forced === 'kvm' || forced === 'tcg') return forced;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return 'tcg';
  }
  // The answer holds until the host reboots (a kernel module does not change under us),
  // so other test files need not pay for the smoke boot again.
  const cacheFile = join(tmpdir(), 'nimbus-lab-accel.json');
  const id = bootId();
  try {
    const saved = JSON.parse(readFileSync(cacheFile, 'utf8')) as { bootId?: string; accel?: Accel };
    if (saved.bootId === id && (saved.accel === 'kvm' || saved.accel === 'tcg')) return saved.accel;
  } catch {
    // no cache yet
  }
  const accel: Accel = (await kvmBootsAGuest()) ? 'kvm' : 'tcg';
  try {
    writeFileSync(cacheFile, JSON.stringify({ bootId: id, accel }));
  } catch {
    // a read-only temp dir only costs the next process another smoke boot
  }
  return accel;
}

function kvmBootsAGuest(): Promise<boolean> {
  const args = ['-accel', 'kvm', '-m', '64', '-smp', '1', '-display', 'none', '-nodefaults', '-no-reboot', '-net', 'none', '-serial', 'stdio', '-fw_cfg', `name=etc/sercon-port,file=${serconPortFile()}`, '-kernel', IPXE_LKRN];
  return new Promise((resolve) => {
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (qemu.exitCode === null) qemu.kill('SIGKILL');
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), KVM_SMOKE_TIMEOUT_MS);
    qemu.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('latin1');
      if (output.includes(MARKER)) finish(true);
    });
    qemu.on('error', () => finish(false));
    qemu.on('exit', () => finish(output.includes(MARKER)));
  });
}
