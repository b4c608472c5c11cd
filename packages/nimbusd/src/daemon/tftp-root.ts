/**
 * The TFTP server's folder: copies of the iPXE binaries the boot policy hands out, taken
 * from `boot.ipxe_dir` (Debian's /usr/lib/ipxe, whose files are symlinks into /usr/share,
 * which the TFTP server rightly refuses to follow out of its root). Copied at start, and
 * again only when the source changed, so an `apt upgrade` of ipxe is picked up.
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IPXE_FILES } from '../machines/boot-policy.ts';

/** Every file a firmware may ask for, plus snponly.efi for firmware whose NIC driver iPXE lacks. */
export const TFTP_FILES: readonly string[] = [...new Set([...Object.values(IPXE_FILES).filter((f): f is string => f !== null), 'snponly.efi'])];

/** Fills `root` from `ipxeDir`; returns the files it holds. A file missing from ipxeDir is left out (check-config names it). */
export function prepareTftpRoot(ipxeDir: string, root: string): string[] {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const present: string[] = [];
  for (const file of TFTP_FILES) {
    const source = join(ipxeDir, file);
    if (!existsSync(source)) continue;
    const target = join(root, file);
    const from = statSync(source); // follows the symlink
    const to = existsSync(target) ? statSync(target) : undefined;
    if (!to || to.size !== from.size || to.mtimeMs < from.mtimeMs) copyFileSync(source, target);
    present.push(file);
  }
  return present;
}
