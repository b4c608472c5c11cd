/**
 * The user's SSH keys: the public key put on the instance (`--ssh-key`, else
 * ~/.ssh/id_ed25519.pub, then ~/.ssh/id_rsa.pub) and the private key nimbusctl
 * authenticates to nimbusd with (`--identity`, else the public key's private half).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SshKeyNotFoundError } from './errors.ts';

/** The public keys tried in order when --ssh-key is not given, under ~/.ssh. */
export const DEFAULT_PUBLIC_KEYS = ['id_ed25519.pub', 'id_rsa.pub'] as const;

export interface UserKeys {
  publicKeyFile: string;
  /** The key line (`ssh-ed25519 AAAA… comment`). */
  publicKey: string;
  identityFile: string;
}

const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+=*( .*)?$/;

export function readPublicKey(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SshKeyNotFoundError(`cannot read the SSH public key ${file}: ${(err as Error).message}`, { cause: err });
  }
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (!line || !KEY_LINE.test(line)) {
    throw new SshKeyNotFoundError(`${file} is not an SSH public key (expected one line like "ssh-ed25519 AAAA… you@host"); give the .pub file with --ssh-key`);
  }
  return line;
}

/** Resolves --ssh-key and --identity to files that exist, with messages that say what to do when they do not. */
export function resolveUserKeys(flags: { sshKey?: string; identity?: string }, home: string = homedir()): UserKeys {
  let publicKeyFile: string;
  if (flags.sshKey !== undefined) {
    publicKeyFile = resolve(flags.sshKey);
  } else {
    const found = DEFAULT_PUBLIC_KEYS.map((name) => join(home, '.ssh', name)).find((f) => existsSync(f));
    if (!found) {
      throw new SshKeyNotFoundError(
        `no SSH key: neither ${DEFAULT_PUBLIC_KEYS.map((n) => `~/.ssh/${n}`).join(' nor ')} exists. Make one with \`ssh-keygen -t ed25519\`, or name yours with --ssh-key FILE.pub`,
      );
    }
    publicKeyFile = found;
  }
  const publicKey = readPublicKey(publicKeyFile);
  const identityFile = resolveIdentity(flags.identity, publicKeyFile);
  return { publicKeyFile, publicKey, identityFile };
}

/** --identity, else the private half that sits next to the public key. */
export function resolveIdentity(identity: string | undefined, publicKeyFile: string): string {
  const file = identity !== undefined ? resolve(identity) : publicKeyFile.replace(/\.pub$/, '');
  if (file === publicKeyFile) throw new SshKeyNotFoundError(`--ssh-key ${publicKeyFile} does not end in .pub; name the private key with --identity FILE`);
  if (!existsSync(file)) {
    throw new SshKeyNotFoundError(
      identity !== undefined
        ? `the identity ${file} does not exist`
        : `no private key next to ${publicKeyFile} (looked for ${file}); nimbusctl authenticates to the provider with it: name it with --identity FILE`,
    );
  }
  return file;
}

/** The private key's text, for the API client. */
export function readIdentity(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SshKeyNotFoundError(`cannot read the private key ${file}: ${(err as Error).message}; name another with --identity FILE`, { cause: err });
  }
}
