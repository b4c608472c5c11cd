import { mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareTftpRoot } from './tftp-root.ts';

describe('the TFTP folder', () => {
  it('holds real copies of the iPXE binaries (Debian ships symlinks), refreshed when the source changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-tftp-root-'));
    mkdirSync(join(dir, 'share'));
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'share', 'undionly.kpxe'), 'bios v1');
    writeFileSync(join(dir, 'share', 'ipxe.efi'), 'efi v1');
    symlinkSync(join(dir, 'share', 'undionly.kpxe'), join(dir, 'lib', 'undionly.kpxe'));
    symlinkSync(join(dir, 'share', 'ipxe.efi'), join(dir, 'lib', 'ipxe.efi'));
    const root = join(dir, 'tftp');
    expect(prepareTftpRoot(join(dir, 'lib'), root).sort()).toEqual(['ipxe.efi', 'undionly.kpxe']);
    expect(readFileSync(join(root, 'ipxe.efi'), 'utf8')).toBe('efi v1');
    writeFileSync(join(dir, 'share', 'ipxe.efi'), 'efi v2 longer');
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'share', 'ipxe.efi'), later, later);
    prepareTftpRoot(join(dir, 'lib'), root);
    expect(readFileSync(join(root, 'ipxe.efi'), 'utf8')).toBe('efi v2 longer');
  });
});
