/**
 * Who a connecting key is: its `SHA256:` fingerprint is the identity, the config says the
 * role. Admins first (an operator's key is an admin even under an open tenant policy).
 */
import type { Actor } from '../state/index.ts';
import type { TenantPolicy } from '../config/index.ts';

/** The parts of nimbusd's config that decide who gets in. */
export interface ApiAccess {
  /** Fingerprints of admin keys. */
  adminKeys: readonly string[];
  tenantPolicy: TenantPolicy;
  /** Fingerprints of allowed tenant keys (used under `allowlist`). */
  tenantKeys: readonly string[];
}

export type ApiRole = 'admin' | 'tenant';

/** The caller of an API method: an SSH key that passed authentication. */
export interface Caller extends Actor {
  role: ApiRole;
}

/** The caller for `fingerprint`, or undefined when it may not connect at all. */
export function identify(fingerprint: string, access: ApiAccess): Caller | undefined {
  if (access.adminKeys.includes(fingerprint)) return { fingerprint, role: 'admin' };
  if (access.tenantPolicy === 'open' || access.tenantKeys.includes(fingerprint)) return { fingerprint, role: 'tenant' };
  return undefined;
}
