import { checkOwnership, parseProviderFile, type Problem, type Provider } from '@nimbus/core';
import { git as registryGit } from './git.ts';

type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed';

export interface OwnershipReport {
  base: string;
  author: string;
  changed: { path: string; status: ChangeStatus }[];
  problems: Problem[];
}

const STATUS: Record<string, ChangeStatus> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', T: 'modified', C: 'added' };

/**
 * Which provider files a pull request touches, each as it is on the base branch and
 * at HEAD, checked against the `owners` of the base version (core's checkOwnership).
 * Runs git in `repoDir`, the pull request's checkout with the base branch fetched.
 */
export async function checkPullRequestOwners(repoDir: string, base: string, author: string): Promise<OwnershipReport> {
  const git = registryGit(repoDir);
  const mergeBase = (await git.raw(['merge-base', base, 'HEAD'])).trim();
  const out = await git.raw(['diff', '--name-status', '-z', '-M', mergeBase, 'HEAD']);
  const fields = out.split('\0').filter((f) => f.length > 0);
  const changes: { path: string; status: ChangeStatus; before?: Provider; after?: Provider }[] = [];
  const show = async (rev: string, path: string): Promise<Provider | undefined> => {
    const text = await git.show([`${rev}:${path}`]).catch(() => undefined);
    if (text === undefined) return undefined;
    return parseProviderFile({ path, bytes: new TextEncoder().encode(text) }).provider;
  };
  for (let i = 0; i < fields.length; ) {
    const code = fields[i++]!;
    const status = STATUS[code[0]!] ?? 'modified';
    // Renames and copies carry two paths: the old one, then the new one.
    const from = fields[i++]!;
    const to = status === 'renamed' || code[0] === 'C' ? fields[i++]! : from;
    const change: (typeof changes)[number] = { path: to, status };
    if (status !== 'added') {
      const before = await show(mergeBase, from);
      if (before) change.before = before;
    }
    if (status !== 'deleted') {
      const after = await show('HEAD', to);
      if (after) change.after = after;
    }
    changes.push(change);
  }
  return { base, author, changed: changes.map(({ path, status }) => ({ path, status })), problems: checkOwnership(changes, author) };
}
