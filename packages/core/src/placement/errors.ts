import { InvalidRequestError, NimbusError } from '../errors.ts';

/**
 * A placement request field that is missing, of the wrong type or out of range.
 * `field` is the request's property path (`gpu.minCount`), so a CLI can name the flag.
 */
export class PlacementRequestError extends InvalidRequestError {
  readonly field: string;

  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(`placement request: ${field} ${problem}`, options);
    this.field = field;
  }
}

/** Two providers with one id, or two machine classes with one id in a provider: placement could not tell them apart. */
export class DuplicateIdError extends NimbusError {
  readonly code = 'DUPLICATE_ID';
}
