/**
 * What the lab needs on this machine, and why it cannot run when something is missing.
 *
 * Debian packages (scripts install them; `--no-install-recommends` is enough):
 *   iproute2 qemu-system-x86 ipxe ovmf radvd openipmi ipmitool openssl curl
 * (ipxe brings /usr/lib/ipxe/ipxe.lkrn; qemu-system-x86 pulls in ipxe-qemu, qemu's NIC
 * option ROMs, and seabios.) The lab also needs root (network namespaces, taps) and
 * /dev/net/tun.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The apt packages the lab uses, for scripts that install them. */
export const LAB_PACKAGES = ['iproute2', 'qemu-system-x86', 'ipxe', 'ovmf', 'radvd', 'openipmi', 'ipmitool', 'openssl', 'curl'] as const;

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
export const IPXE_LKRN = '/usr/lib/ipxe/ipxe.lkrn';
/** qemu's e1000 option ROM: iPXE, used when a VM PXE-boots under SeaBIOS. */
export const IPXE_E1000_ROM = '/usr/lib/ipxe/qemu/pxe-e1000.rom';

/** Programs (as run by the lab and its tests) and the package that has each. */
const PROGRAMS: readonly [program: string, pkg: string][] = [
  ['ip', 'iproute2'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['radvd', 'radvd'],
  ['ipmi_sim', 'openipmi'],
  ['ipmitool', 'ipmitool'],
  ['openssl', 'openssl'],
  ['curl', 'curl'],
];

const FILES: readonly [path: string, pkg: string][] = [
  [OVMF_CODE, 'ovmf'],
  [OVMF_VARS, 'ovmf'],
  [IPXE_LKRN, 'ipxe'],
  [IPXE_E1000_ROM, 'ipxe-qemu'],
];

function readable(path: string, mode = constants.R_OK): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** The full path of `program` on PATH (plus the sbin folders, which a non-login root PATH may lack). */
export function findProgram(program: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, program);
    if (readable(path, constants.X_OK)) return path;
  }
  return undefined;
}

/**
 * Why the lab cannot run here (every missing piece, with the apt package that has it), or
 * undefined when it can. Synchronous and cheap, for `describe.skipIf(labMissing())`.
 */
export function labMissing(): string | undefined {
  if (process.platform !== 'linux') return `the lab needs Linux (network namespaces, taps), this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'the lab needs root (it creates network namespaces and taps); run the tests as root';
  const packages = new Set<string>();
  const missing: string[] = [];
  for (const [program, pkg] of PROGRAMS) {
    if (findProgram(program) === undefined) {
      missing.push(`${program} (package ${pkg})`);
      packages.add(pkg);
    }
  }
  for (const [path, pkg] of FILES) {
    if (!readable(path)) {
      missing.push(`${path} (package ${pkg})`);
      packages.add(pkg);
    }
  }
  if (!readable('/dev/net/tun', constants.R_OK | constants.W_OK)) missing.push('/dev/net/tun (the tun kernel module: modprobe tun)');
  if (missing.length === 0) return undefined;
  const install = packages.size > 0 ? `; install with: apt-get install --no-install-recommends ${[...packages].join(' ')}` : '';
  return `the lab cannot run, missing: ${missing.join(', ')}${install}`;
}
