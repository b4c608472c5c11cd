/**
 * SSH key fingerprints as OpenSSH prints them (`ssh-keygen -lf`): `SHA256:` and the
 * base64 of the SHA-256 of the public key blob, without `=` padding. This string is the
 * registry's `endpoint.host_key` and a tenant's identity.
 */
import { createHash } from 'node:crypto';

/** Fingerprint of a public key in SSH wire format (the base64-decoded middle field of a .pub line). */
export function sshFingerprint(publicKeyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprint of one `ssh-ed25519 AAAA… comment` line, or undefined if it is not one. */
export function fingerprintOfPublicKeyLine(line: string): string | undefined {
  const blob = line.trim().split(/\s+/)[1];
  if (blob === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  return sshFingerprint(Buffer.from(blob, 'base64'));
}
