import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TftpConfigError } from './errors.ts';
import { RootDirectory } from './root-directory.ts';

const base = mkdtempSync(join(tmpdir(), 'tftp-root-'));
const root = join(base, 'root');
let served: RootDirectory;

beforeAll(async () => {
  mkdirSync(join(root, 'efi'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(root, 'undionly.kpxe'), 'bios');
  writeFileSync(join(root, 'efi', 'ipxe.efi'), 'uefi!');
  writeFileSync(join(base, 'outside', 'secret'), 'do not serve');
  symlinkSync(join(base, 'outside', 'secret'), join(root, 'escape-file'));
  symlinkSync(join(base, 'outside'), join(root, 'escape-dir'));
  symlinkSync('../../outside/secret', join(root, 'efi', 'escape-relative'));
  symlinkSync('efi/ipxe.efi', join(root, 'alias.efi'));
  symlinkSync('nowhere', join(root, 'dangling'));
  symlinkSync(root, join(base, 'root-link'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  served = await RootDirectory.open(root);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function contentOf(name: string, dir = served): Promise<string> {
  const opened = await dir.openFile(name);
  if (!opened.ok) throw new Error(`refused: ${opened.message}`);
  try {
    const buffer = Buffer.alloc(opened.size);
    await opened.handle.read(buffer, 0, opened.size, 0);
    return buffer.toString();
  } finally {
    await opened.handle.close();
  }
}

describe('RootDirectory', () => {
  it.each([
    ['undionly.kpxe', 'bios'],
    ['/undionly.kpxe', 'bios'],
    ['//efi/ipxe.efi', 'uefi!'],
    ['efi//./ipxe.efi', 'uefi!'],
    ['alias.efi', 'uefi!'],
  ])('serves %s', async (name, content) => {
    expect(await contentOf(name)).toBe(content);
  });

  it('serves through a root that is itself a symlink', async () => {
    expect(await contentOf('undionly.kpxe', await RootDirectory.open(join(base, 'root-link')))).toBe('bios');
  });

  it.each([
    ['../outside/secret', 'access-violation', 2, '".." is not allowed'],
    ['efi/../../outside/secret', 'access-violation', 2, '".." is not allowed'],
    ['/../../etc/passwd', 'access-violation', 2, '".." is not allowed'],
    ['..\\outside\\secret', 'access-violation', 2, 'backslashes are not allowed'],
    ['efi\\ipxe.efi', 'access-violation', 2, 'backslashes are not allowed'],
    ['escape-file', 'access-violation', 2, 'leads outside the served folder'],
    ['escape-dir/secret', 'access-violation', 2, 'leads outside the served folder'],
    ['efi/escape-relative', 'access-violation', 2, 'leads outside the served folder'],
    ['missing.efi', 'not-found', 1, 'file not found'],
    ['undionly.kpxe/child', 'not-found', 1, 'file not found'],
    ['dangling', 'not-found', 1, 'file not found'],
    ['efi', 'not-found', 1, 'is not a file'],
    ['/', 'not-found', 1, 'no file name given'],
    ['fifo', 'not-found', 1, 'is not a file'],
  ])('refuses %s: %s (ERROR %i)', async (name, outcome, errorCode, message) => {
    const opened = await served.openFile(name);
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect({ outcome: opened.outcome, errorCode: opened.errorCode }).toEqual({ outcome, errorCode });
    expect(opened.message).toContain(message);
    expect(opened.message).not.toContain(base);
  });

  it.each([
    ['a missing folder', 'no-such-root'],
    ['a file', 'root/undionly.kpxe'],
  ])('will not serve from %s', async (_what, path) => {
    await expect(RootDirectory.open(join(base, path))).rejects.toThrow(TftpConfigError);
  });
});
