/**
 * Who may use the SSH API, from the config: the fingerprints listed inline plus those of
 * every key in the named authorized_keys files, read once at start.
 */
import { readFileSync } from 'node:fs';
import type { ApiAccess } from '../api/identity.ts';
import type { NimbusdConfig } from '../config/config.ts';
import { fingerprintOfPublicKeyLine } from '../config/fingerprint.ts';
import { AuthorizedKeysError } from './errors.ts';

/** Key types OpenSSH writes at the start of the key part of an authorized_keys line. */
const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-\S+|sk-\S+)$/;

export function buildApiAccess(config: NimbusdConfig): ApiAccess {
  const adminKeys = [...config.admins.keys];
  if (config.admins.authorizedKeysFile !== undefined) adminKeys.push(...readAuthorizedKeys(config.admins.authorizedKeysFile));
  const tenantKeys = [...config.tenants.keys];
  // Under an open policy the tenant list is ignored, so its file is not read either (check-config agrees).
  if (config.tenants.policy === 'allowlist' && config.tenants.authorizedKeysFile !== undefined) {
    tenantKeys.push(...readAuthorizedKeys(config.tenants.authorizedKeysFile));
  }
  return { adminKeys: unique(adminKeys), tenantPolicy: config.tenants.policy, tenantKeys: unique(tenantKeys) };
}

/** The `SHA256:` fingerprints of the keys in an authorized_keys file; a bad line is an error naming path:line. */
export function readAuthorizedKeys(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuthorizedKeysError(`authorized_keys ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  return parseAuthorizedKeys(path, text);
}

export function parseAuthorizedKeys(path: string, text: string): string[] {
  const fingerprints: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // A line may start with options (`from="…",no-pty`); the key starts at its type.
    const fields = line.split(/\s+/);
    const at = fields.findIndex((field) => KEY_TYPE.test(field));
    const fingerprint = at < 0 ? undefined : fingerprintOfPublicKeyLine(fields.slice(at).join(' '));
    if (fingerprint === undefined) throw new AuthorizedKeysError(`${path}:${index + 1}: not a public key line`);
    fingerprints.push(fingerprint);
  });
  return fingerprints;
}

function unique(keys: string[]): string[] {
  return [...new Set(keys)];
}
