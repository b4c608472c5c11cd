/**
 * `providers status`: each provider's nimbusd asked live, in parallel, each under a
 * timeout: reachable or not, how long the connect took, whether its host key is the one
 * the registry pins, whether it lets the user's key in, and its free machines by class.
 */
import { generateKeyPairSync } from 'node:crypto';
import { HostKeyRefusedError, KeyNotAllowedError, ProviderUnreachableError } from '../instances/errors.ts';
import type { Capacity, ProviderConnector, ProviderEndpoint, ProviderSession } from '../instances/provider-api.ts';
import { withTimeout } from '../instances/targets.ts';

export interface ProviderStatus {
  id: string;
  registry: string;
  endpoint: string;
  reachable: boolean;
  /** Time to connect and authenticate (or be refused), ms; null when unreachable. */
  latencyMs: number | null;
  /** `ok`: the pinned key; `mismatch`: another key (refused); `unknown`: never got that far. */
  hostKey: 'ok' | 'mismatch' | 'unknown';
  /** Whether the provider accepts the key used (its tenant policy). */
  auth: 'ok' | 'refused' | 'unknown';
  capacity: Capacity | null;
  /** The provider's nimbusd version; null when it could not be asked. */
  version: string | null;
  /** What went wrong, in a sentence that says what to do. */
  error?: string;
}

export interface ProbeOptions {
  connector: ProviderConnector;
  privateKey: string;
  timeoutMs: number;
  now?: () => number;
}

/**
 * A throwaway key for when the user has none: enough to see reachability and the host key
 * (which is checked before authentication), and what an open policy would offer.
 */
export function throwawayKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1', privateKeyEncoding: { type: 'sec1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
}

export async function probeProvider(endpoint: ProviderEndpoint, options: ProbeOptions): Promise<ProviderStatus> {
  const now = options.now ?? (() => performance.now());
  const status: ProviderStatus = {
    id: endpoint.providerId,
    registry: endpoint.registry,
    endpoint: `${endpoint.host}:${endpoint.port}`,
    reachable: false,
    latencyMs: null,
    hostKey: 'unknown',
    auth: 'unknown',
    capacity: null,
    version: null,
  };
  const start = now();
  let session: ProviderSession | undefined;
  let gaveUp = false;
  const timedOut = (): Error => new ProviderUnreachableError(`provider "${endpoint.providerId}" (${status.endpoint}) did not answer within ${options.timeoutMs} ms`);
  try {
    const connecting = options.connector.connect(endpoint, { privateKey: options.privateKey, timeoutMs: options.timeoutMs });
    // A connect that succeeds after the timeout must not hold the process open.
    connecting.then((late) => gaveUp && late.close(), () => undefined);
    session = await withTimeout(connecting, options.timeoutMs, () => {
      gaveUp = true;
      return timedOut();
    });
    Object.assign(status, { reachable: true, latencyMs: Math.round(now() - start), hostKey: 'ok', auth: 'ok' });
    status.capacity = await withTimeout(session.capacity(), options.timeoutMs, timedOut);
    status.version = await withTimeout(session.version(), options.timeoutMs, timedOut);
  } catch (err) {
    if (err instanceof HostKeyRefusedError) Object.assign(status, { reachable: true, latencyMs: Math.round(now() - start), hostKey: 'mismatch' });
    else if (err instanceof KeyNotAllowedError) Object.assign(status, { reachable: true, latencyMs: Math.round(now() - start), hostKey: 'ok', auth: 'refused' });
    status.error = err instanceof Error ? err.message : String(err);
  } finally {
    session?.close();
  }
  return status;
}

export function probeProviders(endpoints: readonly ProviderEndpoint[], options: ProbeOptions): Promise<ProviderStatus[]> {
  return Promise.all(endpoints.map((e) => probeProvider(e, options)));
}
