/**
 * A tiny disk image shaped like the ones Nimbus deploys: an MBR with a small FAT partition
 * labelled CIDATA (empty, for the NoCloud seed) and a data partition with recognisable
 * bytes. Made with Debian's sfdisk and mtools; read back with mtools.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const MIB = 1024 * 1024;
/** Where the partitions of the test image lie (bytes). */
export const LAYOUT = {
  imageBytes: 8 * MIB,
  cidataOffset: 1 * MIB,
  cidataBytes: 2 * MIB,
  dataOffset: 3 * MIB,
  /** The recognisable bytes at the start of the data partition. */
  dataBytes: 1 * MIB,
} as const;

const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

/** Why test images cannot be made here, or undefined when they can. */
export function imageToolsMissing(): string | undefined {
  const missing = [
    ['sfdisk', 'fdisk'],
    ['mformat', 'mtools'],
    ['mtype', 'mtools'],
  ].filter(([bin]) => !onPath(bin!));
  return missing.length ? `${missing.map(([b]) => b).join(', ')} not installed (Debian packages ${[...new Set(missing.map(([, p]) => p))].join(', ')})` : undefined;
}

/** Writes the test image to `dir/name` and returns its bytes. */
export function makeTestImage(dir: string, name = 'image.raw'): Buffer {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(0));
  execFileSync('truncate', ['-s', String(LAYOUT.imageBytes), path]);
  const sector = 512;
  const table = [
    'label: dos',
    `start=${LAYOUT.cidataOffset / sector}, size=${LAYOUT.cidataBytes / sector}, type=c`,
    `start=${LAYOUT.dataOffset / sector}, type=83`,
  ].join('\n');
  execFileSync('sfdisk', ['--quiet', path], { input: `${table}\n` });
  execFileSync('mformat', ['-i', `${path}@@${LAYOUT.cidataOffset}`, '-v', 'CIDATA', '-T', String(LAYOUT.cidataBytes / sector), '-h', '2', '-s', '32', '::'], {
    env: MTOOLS_ENV,
  });
  const data = Buffer.concat([Buffer.from('NIMBUS-RAMDISK-TEST-DATA\n'), randomBytes(LAYOUT.dataBytes - 25)]);
  const fd = openSync(path, 'r+');
  try {
    const n = writeSync(fd, data, 0, data.length, LAYOUT.dataOffset);
    if (n !== data.length) throw new Error(`wrote ${n} of ${data.length} bytes of the test image's data partition`);
  } finally {
    closeSync(fd);
  }
  return readFileSync(path);
}

/** Reads `length` bytes of a file at `offset`. */
export function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A file from the FAT partition at `offset` of a disk image, or undefined when it is not there. */
export function readFatFile(disk: string, offset: number, name: string): string | undefined {
  const r = spawnSync('mtype', ['-i', `${disk}@@${offset}`, `::${name}`], { env: MTOOLS_ENV, encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

/** The names in the root directory of the FAT partition at `offset`. */
export function listFat(disk: string, offset: number): string[] {
  const out = execFileSync('mdir', ['-b', '-i', `${disk}@@${offset}`, '::'], { env: MTOOLS_ENV, encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().replace(/^::\//, ''))
    .filter(Boolean);
}
