/** SSH keys for tests that talk to a built nimbusd: an ed25519 pair and its `SHA256:` fingerprint. */
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';

export interface SshTestKey {
  /** OpenSSH format, usable by ssh2 and by OpenSSH's `ssh -i`. */
  privateKey: string;
  /** One `ssh-ed25519 AAAA…` line. */
  publicKey: string;
  /** As `ssh-keygen -lf` prints it: nimbusd's identity of the key. */
  fingerprint: string;
}

/** A fresh key pair. ssh2 now and then writes one that does not parse; such a pair is made again. */
export function sshTestKey(comment = 'nimbus-test'): SshTestKey {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const pub = ssh2.utils.parseKey(pair.public);
    const priv = ssh2.utils.parseKey(pair.private);
    if (pub instanceof Error || Array.isArray(pub) || priv instanceof Error || Array.isArray(priv)) continue;
    const fingerprint = `SHA256:${createHash('sha256').update(pub.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
    return { privateKey: pair.private, publicKey: pair.public, fingerprint };
  }
  throw new Error('ssh2 made 20 ed25519 key pairs in a row that do not parse');
}
