/**
 * The files a config names, checked the way `nimbusd serve` will read them: the host
 * key must be a private key only its owner can read; authorized_keys files, the iPXE
 * binaries, the deploy ramdisk and the catalog's images must be readable. Separate from parsing, so a config can be checked away from its site.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { NimbusError } from '@nimbus/core';
import type { NimbusdConfig } from './config.ts';
import { readHostKey } from './host-key.ts';

/** One message per unusable file, each naming the file and what to do about it. */
export function checkConfigFiles(config: NimbusdConfig): string[] {
  const problems: string[] = [];
  try {
    readHostKey(config.api.hostKeyPath);
  } catch (err) {
    if (!(err instanceof NimbusError)) throw err;
    const hint = /ENOENT/.test(err.message) ? ' (`nimbusd init` creates one)' : '';
    problems.push(`api.host_key: ${err.message}${hint}`);
  }
  const lists: [string, string | undefined][] = [
    ['admins.authorized_keys', config.admins.authorizedKeysFile],
    ['tenants.authorized_keys', config.tenants.policy === 'allowlist' ? config.tenants.authorizedKeysFile : undefined],
  ];
  for (const [key, path] of lists) {
    if (path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      problems.push(`${key}: ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (config.boot.enabled) problems.push(...checkBootFiles(config));
  return problems;
}

/** The boot service's files: the iPXE binaries, the ramdisk, and every catalog image. */
function checkBootFiles(config: NimbusdConfig): string[] {
  const problems: string[] = [];
  const readable = (key: string, path: string, fix: string): void => {
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      problems.push(`${key}: ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)} (${fix})`);
    }
  };
  for (const file of ['undionly.kpxe', 'ipxe.efi']) readable('boot.ipxe_dir', join(config.boot.ipxeDir, file), "install Debian's ipxe package or set boot.ipxe_dir");
  for (const file of ['vmlinuz', 'initramfs.img']) readable('boot.ramdisk_dir', join(config.boot.ramdiskDir, file), 'build it with scripts/build-ramdisk DIR');
  config.images.forEach((image, i) => readable(`images[${i}] (${image.name})`, image.file, 'fix the path or build the image with scripts/build-image'));
  return problems;
}
