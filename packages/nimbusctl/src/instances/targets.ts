import type { CatalogProvider } from '../registry/catalog.ts';
import type { ProviderEndpoint } from './provider-api.ts';

/** A registry entry's nimbusd endpoint, with the host key it pins. */
export function endpointOf({ registry, provider }: CatalogProvider): ProviderEndpoint {
  return {
    providerId: provider.id,
    registry,
    host: provider.endpoint.host,
    port: provider.endpoint.port,
    hostKeyFingerprint: provider.endpoint.host_key,
    ...(provider.tenants.signup === undefined ? {} : { signup: provider.tenants.signup }),
  };
}

/** Default time to wait for a provider to answer a connect, in ms: the API client's own. */
export { DEFAULT_CONNECT_TIMEOUT_MS } from '@nimbus/nimbusd/api-client';
/** Default time `instance list` and `providers status` wait for each provider, in ms. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** Rejects with `onTimeout()` when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
