/**
 * Who may change what in a registry pull request: a provider's owners change its file,
 * nobody else's, and nothing outside providers/. Maintainers' pull requests are let
 * through by the repository's workflow (CODEOWNERS review), not by this check.
 */
import type { Provider } from '../provider.ts';
import { fileProblem, type Problem } from './problem.ts';
import { isProviderPath } from './provider-path.ts';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed';

/** One changed file of a pull request, with the provider parsed from each side when there is one. */
export interface ProviderFileChange {
  /** The path after the change (for a rename, the new path). */
  path: string;
  status: ChangeStatus;
  /** The file as it is on the base branch; absent for added files or when it does not parse. */
  before?: Provider;
  /** The file as the pull request leaves it; absent for deleted files or when it does not parse. */
  after?: Provider;
}

const VERBS: Record<ChangeStatus, string> = { added: 'add', modified: 'change', deleted: 'delete', renamed: 'rename' };

/**
 * One `ownership` problem per change `author` (a GitHub login, compared without case)
 * may not make. Ownership of an existing file comes from the base branch, so a pull
 * request cannot make its author an owner and use that in the same change; a new file
 * is owned by the owners it lists.
 */
export function checkOwnership(changes: readonly ProviderFileChange[], author: string): Problem[] {
  const problems: Problem[] = [];
  for (const change of changes) {
    const reason = refusal(change, author);
    if (reason !== undefined) {
      problems.push(fileProblem(change.path, 'ownership', `${author} may not ${VERBS[change.status]} ${change.path}: ${reason}`));
    }
  }
  return problems;
}

/** Why `author` may not make `change`, or undefined when they may. */
function refusal(change: ProviderFileChange, author: string): string | undefined {
  if (!isProviderPath(change.path)) {
    return 'only the registry maintainers change files outside providers/';
  }
  const added = change.status === 'added';
  const provider = added ? change.after : change.before;
  const where = added ? 'in the new file' : 'on the base branch';
  if (provider === undefined) {
    return `the file ${where} is not a valid provider file, so its owners are unknown; only the registry maintainers may change it`;
  }
  const owners = provider.owners ?? [];
  if (owners.length === 0) {
    return `the file lists no owners ${where}, so only the registry maintainers may change it`;
  }
  const login = author.toLowerCase();
  if (owners.some((owner) => owner.toLowerCase() === login)) return undefined;
  return `its owners ${where} are ${owners.join(', ')}`;
}
