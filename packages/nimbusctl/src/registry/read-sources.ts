import { lstat, open, readdir } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { MAX_PROVIDER_FILE_BYTES, type ProviderSource } from '@nimbus/core';

const PROVIDERS_DIR = 'providers';

/**
 * Reads one path of a registry checkout as core wants it. Symlinks are never
 * followed (a pull request could point `providers/x.toml` at `/etc/shadow`), and
 * no more than one byte past the size limit is read, so core can say "too large"
 * without a huge file ever being loaded.
 */
export async function readProviderSource(root: string, path: string): Promise<ProviderSource> {
  const full = join(root, ...path.split('/'));
  const stat = await lstat(full);
  if (stat.isSymbolicLink()) return { path, bytes: new Uint8Array(0), kind: 'symlink' };
  if (!stat.isFile()) return { path, bytes: new Uint8Array(0), kind: 'other' };
  const handle = await open(full, 'r');
  try {
    const limit = Math.min(stat.size, MAX_PROVIDER_FILE_BYTES + 1);
    const bytes = new Uint8Array(limit);
    let filled = 0;
    while (filled < limit) {
      const { bytesRead } = await handle.read(bytes, filled, limit - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { path, bytes: bytes.subarray(0, filled), kind: 'file' };
  } finally {
    await handle.close();
  }
}

/**
 * Lists the provider-file candidates of a registry checkout: every `*.toml` below
 * `providers/` at any depth, so that misplaced files are reported rather than
 * silently skipped. Paths are posix and relative to `root`, sorted.
 */
export async function listProviderPaths(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, PROVIDERS_DIR), { recursive: true, withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.name.endsWith('.toml') && !e.isDirectory())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join(posix.sep))
    .sort();
}

/** Reads the given paths concurrently, a bounded number at a time. */
export async function readProviderSources(root: string, paths: readonly string[], concurrency = 64): Promise<ProviderSource[]> {
  const out: ProviderSource[] = new Array(paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      out[i] = await readProviderSource(root, paths[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return out;
}
