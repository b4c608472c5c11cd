/**
 * Named errors with a stable `code`. Callers branch on `code`, never on message text.
 * Errors wrap their cause with `{ cause }`.
 */
export abstract class NimbusError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request (placement, CLI input) that cannot be satisfied as written. */
export class InvalidRequestError extends NimbusError {
  readonly code = 'INVALID_REQUEST';
}
