/** OpenSSH's own client and ssh-keygen against a VM's forwarded port, never trusting or storing host keys. */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface SshResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh ed25519 key pair in `path` and `path.pub`; returns the public key line. */
export function generateEd25519Key(path: string, comment: string): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen -f ${path} failed: ${r.stderr}`);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

const CLIENT_OPTIONS = [
  '-F', '/dev/null',
  '-o', 'StrictHostKeyChecking=no',
  '-o', 'UserKnownHostsFile=/dev/null',
  '-o', 'BatchMode=yes',
  '-o', 'IdentitiesOnly=yes',
  '-o', 'IdentityAgent=none',
  '-o', 'ConnectTimeout=20',
  '-o', 'LogLevel=ERROR',
];

/**
 * Runs `command` as `user` on 127.0.0.1:`port`. With `identity`, logs in with that key
 * only; without, offers passwords only (BatchMode never types one, so the server's list
 * of methods in "Permission denied (…)" shows what it would accept).
 */
export function ssh(port: number, user: string, identity: string | undefined, command: string, timeoutMs = 60_000): Promise<SshResult> {
  const auth = identity
    ? ['-i', identity]
    : ['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive'];
  const args = [...CLIENT_OPTIONS, ...auth, '-p', String(port), `${user}@127.0.0.1`, command];
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}
