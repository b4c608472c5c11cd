/**
 * `nimbusd registry propose`: puts this provider's file on a new branch of the registry
 * repo and pushes it, so a pull request can be opened from it. Works in a throwaway
 * shallow clone; the operator's own checkouts are never touched. When the file on the
 * base branch already says the same thing, nothing is committed or pushed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidRequestError, NimbusError } from '@nimbus/core';
import { simpleGit, type SimpleGit } from 'simple-git';

/** The registry could not be cloned, committed to or pushed to; the message carries git's own words. */
export class RegistryProposeError extends NimbusError {
  readonly code = 'REGISTRY_PROPOSE';
}

export interface ProposeAuthor {
  name: string;
  email: string;
}

export interface ProposeOptions {
  /** URL or path of the registry repo, as `git clone` takes it. */
  repo: string;
  providerId: string;
  /** Where the file belongs in the repo, e.g. `providers/<id>.toml`. */
  path: string;
  toml: string;
  /** Branch the proposal starts from and is compared against. Default `main`. */
  base?: string;
  /** Default `provider/<id>-<YYYYMMDD-HHMMSS>` (UTC) from `now`. */
  branch?: string;
  /** Default `nimbusd <nimbusd@<id>>`. */
  author?: ProposeAuthor;
  now: () => Date;
}

export interface ProposeResult {
  /** The pushed branch, or null when nothing changed and nothing was pushed. */
  branch: string | null;
  /** The pushed commit, or the base branch's head when nothing changed. */
  commit: string;
  path: string;
  changed: boolean;
}

/**
 * The environment git runs with: enough to reach the remote (proxies, the SSH agent)
 * and no more, so no editor, pager or askpass program from the operator's shell can run
 * (simple-git refuses those too), and git never stops to ask for a password.
 */
function gitEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SSH_AUTH_SOCK', 'http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const key of keep) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

function git(dir: string, author?: ProposeAuthor): SimpleGit {
  const config = author === undefined ? [] : [`user.name=${author.name}`, `user.email=${author.email}`];
  return simpleGit({ baseDir: dir, config, timeout: { block: 120_000 }, allowEnvironment: ['GIT_TERMINAL_PROMPT'] }).env(gitEnv());
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `provider/<id>-<YYYYMMDD-HHMMSS>` in UTC, so two sites' clocks name branches alike. */
export function defaultBranchName(providerId: string, at: Date): string {
  const date = `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}`;
  const time = `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
  return `provider/${providerId}-${date}-${time}`;
}

/** Rejects what git would read as an option, or what could never be a branch, before any clone (a usage error, exit 2). */
function checkInput(options: ProposeOptions, base: string, branch: string, author: ProposeAuthor): void {
  if (options.repo === '' || options.repo.startsWith('-')) throw new InvalidRequestError(`--repo ${JSON.stringify(options.repo)} is not a repository URL`);
  for (const [flag, name] of [['--base', base], ['--branch', branch]] as const) {
    // The shape `git check-ref-format --branch` accepts, minus the rarer corners git itself will catch.
    if (name === '' || name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.lock') || /\.\.|@\{|[\s~^:?*[\\\x00-\x1f\x7f]|\/\/|\/\./.test(name)) {
      throw new InvalidRequestError(`${flag} ${JSON.stringify(name)} is not a valid branch name`);
    }
  }
  if (/[<>\n]/.test(author.name) || author.name.trim() === '') throw new InvalidRequestError(`author name ${JSON.stringify(author.name)} is not usable in a commit`);
  if (/[<>\s]/.test(author.email) || author.email === '') throw new InvalidRequestError(`author email ${JSON.stringify(author.email)} is not usable in a commit`);
}

/** Runs one git step, turning its failure into a RegistryProposeError that says which step it was. */
async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    const detail = (err as Error).message.trim().split('\n').filter((l) => l.trim() !== '').join('; ');
    throw new RegistryProposeError(`${what}: ${detail}`, { cause: err });
  }
}

export async function proposeProviderFile(options: ProposeOptions): Promise<ProposeResult> {
  const base = options.base ?? 'main';
  const branch = options.branch ?? defaultBranchName(options.providerId, options.now());
  const author = options.author ?? { name: 'nimbusd', email: `nimbusd@${options.providerId}` };
  checkInput(options, base, branch, author);

  const work = mkdtempSync(join(tmpdir(), 'nimbusd-propose-'));
  try {
    const clone = join(work, 'registry');
    await step(`cannot clone branch ${base} of ${options.repo}`, () =>
      git(work).clone(options.repo, clone, ['--depth', '1', '--single-branch', '--branch', base, '--no-tags']));
    const repo = git(clone, author);
    const baseCommit = (await step('cannot read the base commit', () => repo.revparse(['HEAD']))).trim();

    const file = join(clone, options.path);
    if (existsSync(file) && readFileSync(file, 'utf8') === options.toml) {
      return { branch: null, commit: baseCommit, path: options.path, changed: false };
    }

    await step(`cannot create branch ${branch}`, () => repo.checkoutLocalBranch(branch));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, options.toml);
    await step('cannot commit the provider file', async () => {
      await repo.add(['--', options.path]);
      await repo.commit(`${options.path}: update provider ${options.providerId}\n\nWritten by \`nimbusd registry propose\` from this provider's live config and machines.`);
    });
    const commit = (await step('cannot read the new commit', () => repo.revparse(['HEAD']))).trim();
    // Never forced: a branch of that name already on the remote is an error, not overwritten.
    await step(`cannot push branch ${branch} to ${options.repo}`, () => repo.push('origin', `refs/heads/${branch}:refs/heads/${branch}`));
    return { branch, commit, path: options.path, changed: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
