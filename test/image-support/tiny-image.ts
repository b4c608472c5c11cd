/**
 * The tiny image as scripts/build-image makes it: running the build, reading its manifest,
 * and writing a NoCloud seed into a copy's CIDATA partition with mtools, as nimbusd's
 * deploy agent does on a real disk.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/nimbusctl.ts';

export const IMAGE_DIR = join(REPO_ROOT, '.cache', 'images');
export const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'build-image');
/** scripts/build-image's exit status when a prerequisite is missing and cannot be installed. */
export const BUILD_MISSING = 3;

export interface ImageFile {
  path: string;
  format: 'raw';
  compression: 'none' | 'gzip' | 'zstd';
  sizeBytes: number;
  sha256: string;
}

export interface ImageManifest {
  name: string;
  sshUser: string;
  files: ImageFile[];
}

export interface BuildRun {
  status: number | null;
  output: string;
}

/** Builds the image into IMAGE_DIR (quick when its inputs have not changed). */
export function buildTinyImage(): BuildRun {
  const r = spawnSync('bash', [BUILD_SCRIPT, IMAGE_DIR], { encoding: 'utf8', timeout: 900_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

/** Why the image cannot be booted and logged into here, or undefined when it can. */
export function bootToolsMissing(): string | undefined {
  const needs: Record<string, string> = {
    'qemu-system-x86_64': 'qemu-system-x86',
    ssh: 'openssh-client',
    'ssh-keygen': 'openssh-client',
    mcopy: 'mtools',
    cp: 'coreutils',
  };
  const missing = Object.entries(needs).filter(([binary]) => !onPath(binary));
  if (missing.length === 0) return undefined;
  return `${missing.map(([b]) => b).join(', ')} not installed (Debian packages ${[...new Set(missing.map(([, p]) => p))].join(', ')})`;
}

/** A sparse copy of the image for one VM to write to. */
export function copyImage(from: string, to: string): void {
  const r = spawnSync('cp', ['--sparse=always', from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp ${from} ${to} failed: ${r.stderr}`);
}

export interface NoCloudSeed {
  'meta-data': string;
  'user-data'?: string;
  'network-config'?: string;
}

/** Writes the seed files into the FAT file system at byte `offset` of `image` (its CIDATA partition). */
export function writeSeed(image: string, offset: number, seed: NoCloudSeed, scratchDir: string): void {
  const files = Object.entries(seed)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, text]) => {
      const path = join(scratchDir, name);
      writeFileSync(path, text);
      return path;
    });
  const r = spawnSync('mcopy', ['-o', '-i', `${image}@@${offset}`, ...files, '::/'], {
    encoding: 'utf8',
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
  });
  if (r.status !== 0) throw new Error(`mcopy of the seed into ${image}@@${offset} failed: ${r.stderr}`);
}
