/**
 * Reads a raw disk image the way firmware and the deploy agent see it: the MBR partition
 * table, an ext4 superblock's label and a FAT boot sector's label, straight from the file.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export const SECTOR = 512;

export interface MbrPartition {
  /** 1-based, as Linux names it (vda1…). */
  number: number;
  active: boolean;
  /** The MBR partition type byte (0xEF = EFI system partition, 0x83 = Linux). */
  type: number;
  startLba: number;
  sectors: number;
  /** Byte offset of the partition in the image. */
  offset: number;
  bytes: number;
}

export interface MbrDisk {
  diskId: number;
  partitions: MbrPartition[];
}

export function readRange(path: string, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return buf;
}

export class DiskLayoutError extends Error {
  readonly code = 'DISK_LAYOUT';
}

/** The four primary entries of the MBR; empty ones (type 0) are left out. */
export function readMbr(path: string): MbrDisk {
  const mbr = readRange(path, 0, SECTOR);
  if (mbr.readUInt16LE(510) !== 0xaa55) throw new DiskLayoutError(`${path}: no MBR boot signature 55AA in sector 0`);
  const partitions: MbrPartition[] = [];
  for (let i = 0; i < 4; i++) {
    const entry = mbr.subarray(446 + 16 * i, 446 + 16 * (i + 1));
    const type = entry[4]!;
    if (type === 0) continue;
    const startLba = entry.readUInt32LE(8);
    const sectors = entry.readUInt32LE(12);
    partitions.push({ number: i + 1, active: entry[0] === 0x80, type, startLba, sectors, offset: startLba * SECTOR, bytes: sectors * SECTOR });
  }
  return { diskId: mbr.readUInt32LE(440), partitions };
}

/** The volume name of the ext4 (or ext2/3) file system at `offset`, or undefined if there is none. */
export function ext4Label(path: string, offset: number): string | undefined {
  const sb = readRange(path, offset + 1024, 1024);
  if (sb.readUInt16LE(56) !== 0xef53) return undefined;
  return sb.subarray(120, 136).toString('latin1').replace(/\0+$/, '');
}

/** The volume label in the FAT boot sector at `offset` (FAT12/16 and FAT32 keep it in different places). */
export function fatLabel(path: string, offset: number): { fat: 'FAT12' | 'FAT16' | 'FAT32'; label: string } | undefined {
  const bs = readRange(path, offset, SECTOR);
  if (bs.readUInt16LE(510) !== 0xaa55) return undefined;
  const fat32 = bs.subarray(82, 87).toString('latin1');
  if (fat32 === 'FAT32') return { fat: 'FAT32', label: bs.subarray(71, 82).toString('latin1').trimEnd() };
  const fat = bs.subarray(54, 59).toString('latin1');
  if (fat !== 'FAT12' && fat !== 'FAT16') return undefined;
  return { fat, label: bs.subarray(43, 54).toString('latin1').trimEnd() };
}
