import { simpleGit, type SimpleGit } from 'simple-git';

/**
 * The environment git runs with: what it needs to find the remote (proxies, the SSH
 * agent) and no more, so a stray EDITOR, pager or askpass program in the user's
 * shell cannot run during a sync (simple-git refuses those too). Git must never stop
 * to ask for a password in a sync.
 */
export function gitEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SSH_AUTH_SOCK', 'http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const key of keep) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export function git(dir?: string): SimpleGit {
  return simpleGit({ baseDir: dir, timeout: { block: 60_000 }, allowEnvironment: ['GIT_TERMINAL_PROMPT'] }).env(gitEnv());
}
