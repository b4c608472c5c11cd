/** Runs a request through both placement paths, checks they agree, and returns the answer. */
import { expect } from 'vitest';
import type { Provider } from '../../provider.ts';
import { placeLinear } from '../linear.ts';
import { place } from '../place.ts';
import { buildPlacementIndex } from '../placement-index.ts';
import type { PlacementRequest } from '../request.ts';
import type { PlacementResult } from '../result.ts';

export function placeBoth(providers: readonly Provider[], req: PlacementRequest): PlacementResult {
  const indexed = place(buildPlacementIndex(providers), req);
  expect(indexed).toStrictEqual(placeLinear(providers, req));
  return indexed;
}
