/**
 * The server against the TFTP clients Debian ships, on loopback: tftp-hpa's `tftp`, `atftp`
 * and `curl`, serving the iPXE binaries (Debian's `ipxe` package) when they are installed.
 * Each group is skipped, with the reason, when its client is missing.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TftpTransferEvent } from './server-options.ts';
import { TftpServer } from './server.ts';
import { atftpGet, atftpPut, curlGet, missingPrograms, tftpHpaGet, tftpHpaPut, type Target } from './testdata/clients.ts';

const IPXE_DIR = '/usr/lib/ipxe';
const BOOT_FILES = ['undionly.kpxe', 'ipxe.efi', 'snponly.efi'] as const;
/** 33 MiB + 1000 bytes: 67,586 blocks of 512 bytes, so block numbers wrap past 65535. */
const BIG_SIZE = 33 * 1024 * 1024 + 1000;
const SECRET = 'outside the root: never served';

const base = mkdtempSync(join(tmpdir(), 'tftp-clients-'));
const root = join(base, 'root');
const out = join(base, 'out');
const events: TftpTransferEvent[] = [];
let server: TftpServer;
let target: Target;
/** The iPXE binaries are the real ones when the ipxe package is installed, random stand-ins otherwise. */
const realIpxe = BOOT_FILES.every((f) => existsSync(join(IPXE_DIR, f)));
const TEXT = 'line one\nline two\r\nbare cr\rend\n';

beforeAll(async () => {
  mkdirSync(root);
  mkdirSync(out);
  mkdirSync(join(base, 'outside'));
  for (const [i, name] of BOOT_FILES.entries()) {
    if (realIpxe) copyFileSync(join(IPXE_DIR, name), join(root, name));
    else writeFileSync(join(root, name), Buffer.from(Array.from({ length: 100_000 * (i + 1) + 17 }, (_, j) => (j * 131 + i) & 0xff)));
  }
  writeFileSync(join(root, 'notes.txt'), TEXT);
  writeFileSync(join(base, 'outside', 'secret'), SECRET);
  symlinkSync(join(base, 'outside', 'secret'), join(root, 'escape'));
  // Sparse, with distinct bytes around the 16-bit wrap (blocks 65535–65537) and at the end.
  const big = await openFile(join(root, 'big.img'), 'w');
  await big.truncate(BIG_SIZE);
  for (const block of [1, 65_534, 65_535, 65_536, 65_537, 65_538]) await big.write(Buffer.alloc(512, block & 0xff).fill(`block ${block}`, 0, 12), 0, 512, (block - 1) * 512);
  await big.write(Buffer.from('the end'), 0, 7, BIG_SIZE - 7);
  await big.close();
  server = await TftpServer.listen({ root, host: '127.0.0.1', port: 0, onEvent: (e) => void (e.type === 'transfer' && events.push(e)) });
  target = { host: '127.0.0.1', port: server.address.port };
});
afterAll(async () => {
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});

const same = (a: string, b: string): boolean => readFileSync(a).equals(readFileSync(b));
const sha256 = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of (await openFile(path)).createReadStream()) hash.update(chunk as Buffer);
  return hash.digest('hex');
};
const lastEvent = (file: string): TftpTransferEvent | undefined => events.filter((e) => e.file === file).at(-1);
const ipxeNote = realIpxe ? 'Debian ipxe binaries' : 'stand-ins: the ipxe package is not installed';

describe.skipIf(missingPrograms('tftp') !== undefined)(`tftp-hpa client${missingPrograms('tftp') ? ` (skipped: ${missingPrograms('tftp')})` : ''}`, () => {
  it.each(BOOT_FILES)(`fetches %s in octet mode (${ipxeNote})`, async (name) => {
    const local = join(out, `hpa-${name}`);
    const run = await tftpHpaGet(target, name, local);
    expect(run.output).toContain('Received');
    expect(same(local, join(root, name))).toBe(true);
    expect(lastEvent(name)).toMatchObject({ outcome: 'complete', blockSize: 512, windowSize: 1 });
  });

  it('fetches a text file in netascii mode: the server sends CR LF / CR NUL, the client turns it back', async () => {
    const local = join(out, 'hpa-notes.txt');
    const run = await tftpHpaGet(target, 'notes.txt', local, 'netascii');
    expect(run.output).toContain('[netascii]');
    expect(readFileSync(local, 'latin1')).toBe(TEXT);
    // 3 LFs and 2 CRs each gain a byte on the wire.
    expect(lastEvent('notes.txt')).toMatchObject({ outcome: 'complete', mode: 'netascii', bytes: TEXT.length + 5 });
  });

  it.each([
    ['../outside/secret', 2, 'access-violation'],
    ['/../../outside/secret', 2, 'access-violation'],
    ['escape', 2, 'access-violation'],
    ['no-such-file.efi', 1, 'not-found'],
  ])('refuses %s: the client prints Error code %i', async (name, code, outcome) => {
    const local = join(out, `hpa-refused-${code}`);
    const run = await tftpHpaGet(target, name, local);
    const printed = run.output.split('\n').find((line) => line.startsWith('Error code'));
    expect(printed).toMatch(new RegExp(`^Error code ${code}: `));
    expect(printed).not.toContain(root);
    expect(existsSync(local) && readFileSync(local, 'utf8').includes(SECRET)).toBe(false);
    expect(lastEvent(name)?.outcome).toBe(outcome);
  });

  it('refuses a put with Error code 2', async () => {
    const run = await tftpHpaPut(target, join(root, 'notes.txt'), 'uploaded.txt');
    expect(run.output).toContain('Error code 2: this server is read-only');
    expect(existsSync(join(root, 'uploaded.txt'))).toBe(false);
  });
  // tftp-hpa's client (5.2) has no blksize or windowsize setting, so it always runs RFC 1350 lock-step.
});

describe.skipIf(missingPrograms('atftp') !== undefined)(`atftp client${missingPrograms('atftp') ? ` (skipped: ${missingPrograms('atftp')})` : ''}`, () => {
  it(`fetches ipxe.efi with blksize 1468, windowsize 16 and tsize (${ipxeNote})`, async () => {
    const local = join(out, 'atftp-ipxe.efi');
    const run = await atftpGet(target, 'ipxe.efi', local, ['blksize 1468', 'windowsize 16', 'tsize']);
    expect(run.status).toBe(0);
    expect(same(local, join(root, 'ipxe.efi'))).toBe(true);
    expect(lastEvent('ipxe.efi')).toMatchObject({ outcome: 'complete', blockSize: 1468, windowSize: 16 });
  });

  it('gets blksize lowered to the path MTU when it asks for more', async () => {
    const local = join(out, 'atftp-undionly.kpxe');
    const run = await atftpGet(target, 'undionly.kpxe', local, ['blksize 8192']);
    expect(run.status).toBe(0);
    expect(same(local, join(root, 'undionly.kpxe'))).toBe(true);
    expect(lastEvent('undionly.kpxe')).toMatchObject({ outcome: 'complete', blockSize: 1468 });
  });

  it('fetches a sparse file over 32 MiB in 512-byte blocks: block numbers wrap past 65535', { timeout: 120_000 }, async () => {
    const local = join(out, 'atftp-big.img');
    const run = await atftpGet(target, 'big.img', local, ['windowsize 16', 'tsize'], 110_000);
    expect(run.status).toBe(0);
    expect(await sha256(local)).toBe(await sha256(join(root, 'big.img')));
    expect(lastEvent('big.img')).toMatchObject({ outcome: 'complete', bytes: BIG_SIZE, blockSize: 512, windowSize: 16 });
  });

  it.each([
    ['../outside/secret', 'access-violation', '".." is not allowed'],
    ['escape', 'access-violation', 'leads outside the served folder'],
    ['no-such-file.efi', 'not-found', 'file not found'],
  ])('refuses %s and says why', async (name, outcome, message) => {
    const run = await atftpGet(target, name, join(out, 'atftp-refused'));
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(message);
    expect(lastEvent(name)?.outcome).toBe(outcome);
  });

  it('refuses a put', async () => {
    const run = await atftpPut(target, join(root, 'notes.txt'), 'uploaded-by-atftp.txt');
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('read-only');
    expect(existsSync(join(root, 'uploaded-by-atftp.txt'))).toBe(false);
  });
});

describe.skipIf(missingPrograms('curl') !== undefined)(`curl tftp://${missingPrograms('curl') ? ` (skipped: ${missingPrograms('curl')})` : ''}`, () => {
  it.each([
    ['snponly.efi', 1468, 1468],
    ['undionly.kpxe', 65_464, 1468],
    ['ipxe.efi', undefined, 512],
  ])(`fetches %s with --tftp-blksize %s (${ipxeNote})`, async (name, blksize, granted) => {
    const local = join(out, `curl-${name}`);
    const run = await curlGet(target, name, local, blksize);
    expect(run.status).toBe(0);
    expect(same(local, join(root, name))).toBe(true);
    expect(lastEvent(name)).toMatchObject({ outcome: 'complete', blockSize: granted });
  });

  it.each([
    ['../outside/secret', 69, 'access-violation'],
    ['escape', 69, 'access-violation'],
    ['no-such-file.efi', 68, 'not-found'],
  ])('refuses %s: curl exits %i', async (name, status, outcome) => {
    const run = await curlGet(target, name, join(out, 'curl-refused'), 1468);
    expect(run.status).toBe(status);
    expect(lastEvent(name)?.outcome).toBe(outcome);
  });
});
