import type { PlacementRequest } from '@nimbus/core';

/** Placement-only fields that mean nothing to the provider. */
const PLACEMENT_ONLY = new Set(['count', 'explain', 'limit', 'providers', 'excludeProviders', 'spread', 'rates', 'currency', 'maxPricePerHour', 'regions', 'countries', 'image']);

/**
 * The request a provider's nimbusd gets for one instance (before its class and hostname
 * are added per candidate): the image, the user's key, and the machine requirements.
 */
export function requestForProvider(placement: PlacementRequest, image: string, publicKey: string): Record<string, unknown> {
  const requirements = Object.fromEntries(Object.entries(placement).filter(([key, value]) => !PLACEMENT_ONLY.has(key) && value !== undefined));
  return { ...requirements, image, sshKeys: [publicKey] };
}
