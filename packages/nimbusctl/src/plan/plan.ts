import { buildPlacementIndex, place, validateRequest, type PlacementRequest, type PlacementResult } from '@nimbus/core';
import type { NimbusctlConfig } from '../config/config.ts';
import type { Catalog } from '../registry/catalog.ts';

/** A plan: the request as placement saw it, and its answer. */
export interface Plan {
  request: PlacementRequest;
  result: PlacementResult;
}

/**
 * Places a request over the synced catalog. Currency and exchange rates come from the
 * config unless the request names them.
 */
export function planPlacement(catalog: Catalog, config: NimbusctlConfig, request: PlacementRequest): Plan {
  const full: PlacementRequest = { ...request };
  if (full.currency === undefined && config.placement.currency !== undefined) full.currency = config.placement.currency;
  if (full.rates === undefined && Object.keys(config.placement.rates).length > 0) full.rates = { ...config.placement.rates };
  validateRequest(full);
  const index = buildPlacementIndex(catalog.providers.map((p) => p.provider));
  return { request: full, result: place(index, full) };
}
