import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { MAX_PROVIDER_FILE_BYTES, type ProviderSource } from '@nimbus/core';

const PROVIDERS_DIR = 'providers';

/**
 * Reads one path of a registry folder as core wants it. Symlinks are never followed
 * (a pull request could point `providers/x.toml` at `/etc/shadow`) and a file over
 * the size limit is not read at all: core refuses it by its size.
 * Synchronous on purpose: for thousands of small files, sync reads are several times
 * faster than a round trip through libuv's thread pool per call, and a CLI has
 * nothing else to do meanwhile.
 */
export function readProviderSource(root: string, path: string): ProviderSource {
  const full = join(root, ...path.split('/'));
  const stat = lstatSync(full);
  if (stat.isSymbolicLink()) return { path, bytes: new Uint8Array(0), kind: 'symlink' };
  if (!stat.isFile()) return { path, bytes: new Uint8Array(0), kind: 'other' };
  if (stat.size > MAX_PROVIDER_FILE_BYTES) return { path, bytes: new Uint8Array(0), kind: 'file', size: stat.size };
  const fd = openSync(full, 'r');
  try {
    // One byte more than lstat said, so a file that grew meanwhile still shows as too large.
    const bytes = new Uint8Array(Math.min(stat.size + 1, MAX_PROVIDER_FILE_BYTES + 1));
    let filled = 0;
    for (;;) {
      const n = readSync(fd, bytes, filled, bytes.length - filled, null);
      if (n === 0) break;
      filled += n;
      if (filled === bytes.length) break;
    }
    return { path, bytes: bytes.subarray(0, filled), kind: 'file' };
  } finally {
    closeSync(fd);
  }
}

/**
 * Lists the provider-file candidates of a registry folder: every `*.toml` below
 * `providers/` at any depth, so that misplaced files are reported rather than
 * silently skipped. Paths are posix and relative to `root`, sorted.
 */
export function listProviderPaths(root: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, PROVIDERS_DIR), { recursive: true, withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.name.endsWith('.toml') && !e.isDirectory())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join(posix.sep))
    .sort();
}

export function readProviderSources(root: string, paths: readonly string[]): ProviderSource[] {
  return paths.map((path) => readProviderSource(root, path));
}
