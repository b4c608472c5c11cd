import { execFileSync } from 'node:child_process';
import { MAX_PROVIDER_FILE_BYTES, type ProviderSource } from '@nimbus/core';
import { gitEnv, gitText } from './git.ts';

/** One `*.toml` below providers/ in a commit's tree. */
export interface ProviderTreeEntry {
  path: string;
  /** Git file mode: 100644/100755 a file, 120000 a symlink, 160000 a submodule. */
  mode: string;
  sha: string;
  /** Blob size in bytes; undefined for what is not a blob. */
  size: number | undefined;
}

const PROVIDERS = 'providers';

/**
 * The provider-file candidates of a commit, straight from Git's object store (no
 * checkout): `git ls-tree -r -l`, limited to `paths` when given.
 */
export async function providerTree(gitDir: string, commit: string, paths?: readonly string[]): Promise<ProviderTreeEntry[]> {
  const out = await gitText(gitDir, ['ls-tree', '-r', '-l', '-z', commit, '--', ...(paths ?? [PROVIDERS])]);
  const entries: ProviderTreeEntry[] = [];
  for (const record of out.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode, type, sha, size] = record.slice(0, tab).split(/ +/);
    const path = record.slice(tab + 1);
    if (!path.endsWith('.toml') || type === 'tree') continue;
    entries.push({ path, mode: mode!, sha: sha!, size: type === 'blob' ? Number(size) : undefined });
  }
  return entries;
}

/** Provider-file paths that differ between two commits (added, changed or deleted). */
export async function changedProviderPaths(gitDir: string, from: string, to: string): Promise<string[]> {
  const out = await gitText(gitDir, ['diff', '--name-only', '--no-renames', '-z', from, to, '--', PROVIDERS]);
  return out.split('\0').filter((p) => p.endsWith('.toml'));
}

/**
 * Reads blobs with one `git cat-file --batch`, far faster than one git call per file.
 * Returns each blob's bytes by object id.
 */
export function readBlobs(gitDir: string, shas: readonly string[]): Map<string, Uint8Array> {
  const blobs = new Map<string, Uint8Array>();
  if (shas.length === 0) return blobs;
  const out = execFileSync('git', ['cat-file', '--batch'], {
    cwd: gitDir,
    env: gitEnv(),
    input: `${shas.join('\n')}\n`,
    maxBuffer: shas.length * (MAX_PROVIDER_FILE_BYTES + 128),
  });
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    const [sha, type, size] = out.subarray(at, eol).toString('latin1').split(' ');
    at = eol + 1;
    if (type === 'missing' || size === undefined) continue;
    const n = Number(size);
    blobs.set(sha!, new Uint8Array(out.buffer, out.byteOffset + at, n));
    at += n + 1;
  }
  return blobs;
}

/** What core needs of each entry: symlinks and submodules are never read, oversized blobs neither. */
export function treeSources(gitDir: string, entries: readonly ProviderTreeEntry[]): ProviderSource[] {
  const readable = entries.filter((e) => e.mode.startsWith('100') && (e.size ?? 0) <= MAX_PROVIDER_FILE_BYTES);
  const blobs = readBlobs(gitDir, readable.map((e) => e.sha));
  return entries.map((e): ProviderSource => {
    if (e.mode === '120000') return { path: e.path, bytes: new Uint8Array(0), kind: 'symlink' };
    if (!e.mode.startsWith('100')) return { path: e.path, bytes: new Uint8Array(0), kind: 'other' };
    const source: ProviderSource = { path: e.path, bytes: blobs.get(e.sha) ?? new Uint8Array(0), kind: 'file' };
    if (e.size !== undefined) source.size = e.size;
    return source;
  });
}
