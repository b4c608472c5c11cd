/**
 * nimbusd's SSH host key: an ed25519 key in OpenSSH format that only its owner can read,
 * next to its `.pub`. Clients pin its fingerprint from the registry, so once made it is
 * kept: a new key would lock every client out until the registry is updated.
 */
import { existsSync, writeFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { readSecretFile } from '../cli/secret-file.ts';
import { HostKeyError } from './errors.ts';
import { sshFingerprint } from './fingerprint.ts';

// ssh2 is CommonJS without named exports node can detect; take `utils` off the default export.
const { utils } = ssh2;

export interface HostKey {
  privateKeyPath: string;
  publicKeyPath: string;
  /** `SHA256:…`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** Whether this call made the key (false: an existing key was kept). */
  created: boolean;
}

/**
 * A new ed25519 key pair in OpenSSH format. ssh2's generator now and then writes a
 * public key whose leading zero byte is lost (measured: 17 in 5,000), which then does
 * not parse; such a pair is thrown away and another made, so no unusable key is ever
 * written.
 */
export function generateEd25519KeyPair(comment?: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment });
    const pub = utils.parseKey(pair.public);
    const priv = utils.parseKey(pair.private);
    if (!(pub instanceof Error) && !Array.isArray(pub) && !(priv instanceof Error) && !Array.isArray(priv)) return pair;
  }
  throw new HostKeyError('could not make an ed25519 key pair that parses');
}

/** The key at `path`, made if there is none; an existing one must be private and parse. */
export function ensureHostKey(path: string, comment = 'nimbusd'): HostKey {
  if (existsSync(path)) return readHostKey(path, { writeMissingPublicKey: true });
  const pair = generateEd25519KeyPair(comment);
  // 'wx': never replace a file that appeared since the check above.
  writeKeyFile(path, pair.private, 0o600);
  writeKeyFile(`${path}.pub`, `${pair.public}\n`, 0o644);
  return { ...readHostKey(path), created: true };
}

/**
 * Reads the private key at `path` the way the SSH server will: refused when its group or
 * others can read it (the error names the path and the `chmod 600` fix).
 */
export function readHostKey(path: string, options: { writeMissingPublicKey?: boolean } = {}): HostKey {
  const text = readSecretFile(path, 'host key');
  const parsed = utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error || !key.isPrivateKey()) {
    const why = key instanceof Error ? `: ${key.message}` : '';
    throw new HostKeyError(`host key ${path} is not an unencrypted OpenSSH private key${why}`);
  }
  const publicKeyPath = `${path}.pub`;
  if (options.writeMissingPublicKey && !existsSync(publicKeyPath)) {
    writeKeyFile(publicKeyPath, `${key.type} ${key.getPublicSSH().toString('base64')} ${key.comment || 'nimbusd'}\n`, 0o644);
  }
  return { privateKeyPath: path, publicKeyPath, fingerprint: sshFingerprint(key.getPublicSSH()), created: false };
}

function writeKeyFile(path: string, contents: string, mode: number): void {
  try {
    writeFileSync(path, contents, { mode, flag: 'wx' });
  } catch (err) {
    throw new HostKeyError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}
