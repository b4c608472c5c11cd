import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryRef } from '../config/config.ts';
import { RegistrySyncError } from '../errors.ts';
import { formatAge } from './age.ts';
import { git, gitText } from './git.ts';
import { ParseIndex } from './parse-index.ts';
import { parseSources } from './parse-parallel.ts';
import type { SerializedParse } from './serialized-parse.ts';
import { changedProviderPaths, providerTree, treeSources } from './git-objects.ts';
import { redactUrl } from './redact.ts';

export interface SyncResult {
  name: string;
  /** cloned: first sync; updated: new commits; unchanged: nothing new; offline: the remote failed and the cache is used. */
  status: 'cloned' | 'updated' | 'unchanged' | 'offline';
  commit: string;
  /** Provider-file paths re-parsed by this sync. */
  reparsed: string[];
  /** Provider-file paths gone since the last sync. */
  removed: string[];
  /** When the cache last reached the remote (ISO 8601). */
  syncedAt: string;
  /** Set when the cache is used because the remote failed: says why and how old the cache is. */
  warning?: string;
}

export function clonePath(cacheDir: string, name: string): string {
  return join(cacheDir, name);
}

export function indexPath(cacheDir: string, name: string): string {
  return join(cacheDir, `${name}.index.sqlite`);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'unknown error';
  return redactUrl(line.replace(/^fatal:\s*/, ''));
}

/** Where a fetch leaves the remote's default branch in the cache. */
const REMOTE_HEAD = 'refs/nimbus/remote-head';

/**
 * The commit the fetch just brought, from the FETCH_HEAD file git writes (its first
 * field is the object name): one process fewer on the path of every sync.
 */
async function fetchedCommit(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, 'FETCH_HEAD'), 'utf8').catch(() => '');
  const sha = text.split('\t', 1)[0]!.trim();
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) ? sha : undefined;
}

/** Above this many changed files, listing the whole tree once beats naming each path. */
const MANY_CHANGES = 500;

async function parseTree(dir: string, commit: string, paths?: readonly string[]): Promise<SerializedParse[]> {
  const entries = paths && paths.length <= MANY_CHANGES ? await providerTree(dir, commit, paths) : await providerTree(dir, commit);
  const wanted = paths ? new Set(paths) : undefined;
  return parseSources(treeSources(dir, wanted ? entries.filter((e) => wanted.has(e.path)) : entries));
}

/**
 * Brings one registry's cache up to date: a bare clone on first use, else a fetch of
 * the remote's default branch, re-parsing only the provider files that changed
 * (read straight from Git's objects; there is no checkout to keep in step). When the
 * remote cannot be reached and a cache exists, the cache stays as it is and the
 * result carries a warning with its age.
 */
export async function syncRegistry(ref: RegistryRef, cacheDir: string, now: () => Date = () => new Date()): Promise<SyncResult> {
  const dir = clonePath(cacheDir, ref.name);
  const index = new ParseIndex(indexPath(cacheDir, ref.name));
  try {
    const meta = index.meta();
    const haveClone = meta.commit !== undefined && meta.url === ref.url && (await exists(join(dir, 'HEAD')));
    if (!haveClone) return await cloneFresh(ref, dir, index, now);

    try {
      await gitText(dir, ['fetch', '--quiet', '--no-tags', 'origin', `+HEAD:${REMOTE_HEAD}`]);
    } catch (err) {
      const age = formatAge(now().getTime() - Date.parse(meta.syncedAt ?? ''));
      return {
        name: ref.name,
        status: 'offline',
        commit: meta.commit!,
        reparsed: [],
        removed: [],
        syncedAt: meta.syncedAt!,
        warning: `registry ${ref.name}: cannot reach ${redactUrl(ref.url)} (${firstLine(err)}); using the cache from ${age} ago (commit ${meta.commit!.slice(0, 12)})`,
      };
    }
    const target = (await fetchedCommit(dir)) ?? (await gitText(dir, ['rev-parse', REMOTE_HEAD])).trim();
    const syncedAt = now().toISOString();
    if (target === meta.commit) {
      index.update([], [], { syncedAt });
      return { name: ref.name, status: 'unchanged', commit: target, reparsed: [], removed: [], syncedAt };
    }
    const touched = await changedProviderPaths(dir, meta.commit!, target);
    const parsed = await parseTree(dir, target, touched);
    const present = new Set(parsed.map((p) => p.path));
    const removed = touched.filter((p) => !present.has(p));
    index.update(parsed, removed, { commit: target, syncedAt });
    return { name: ref.name, status: 'updated', commit: target, reparsed: [...present], removed, syncedAt };
  } finally {
    index.close();
  }
}

async function cloneFresh(ref: RegistryRef, dir: string, index: ParseIndex, now: () => Date): Promise<SyncResult> {
  // Clone beside the final place and rename, so an interrupted clone never looks like a cache.
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(join(dir, '..'), { recursive: true });
  try {
    await git().clone(ref.url, partial, ['--quiet', '--bare', '--no-tags']);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw new RegistrySyncError(
      `registry ${ref.name}: cannot clone ${redactUrl(ref.url)}: ${firstLine(err)}. Check the URL (nimbusctl registry add) and your network; there is no cache to fall back on yet.`,
      { cause: err },
    );
  }
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  const commit = (await git(dir).revparse(['HEAD'])).trim();
  const parsed = await parseTree(dir, commit);
  const syncedAt = now().toISOString();
  index.update(parsed, [], { url: ref.url, commit, syncedAt }, true);
  return { name: ref.name, status: 'cloned', commit, reparsed: parsed.map((p) => p.path), removed: [], syncedAt };
}
