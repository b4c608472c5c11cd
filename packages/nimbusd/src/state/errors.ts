import { NimbusError } from '@nimbus/core';

/** Why an allocation (or another claim on a machine) lost: callers may try another candidate. */
export type ConflictReason = 'no-ready-machine' | 'machine-taken' | 'idempotency-key-reused' | 'machine-busy' | 'instance-busy' | 'name-taken' | 'mac-taken' | 'console-busy';

/** The store refused a write because something else holds what it asked for. */
export class ConflictError extends NimbusError {
  readonly code = 'CONFLICT';
  readonly reason: ConflictReason;

  constructor(reason: ConflictReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** A compare-and-set transition whose `from` is no longer the machine's state. */
export class StaleStateError extends NimbusError {
  readonly code = 'STALE_STATE';
}

/** A transition the machine lifecycle does not have. */
export class IllegalTransitionError extends NimbusError {
  readonly code = 'ILLEGAL_TRANSITION';
}

/** No machine or instance with that id (or none the caller may see: the answer is the same). */
export class NotFoundError extends NimbusError {
  readonly code = 'NOT_FOUND';
}

/** The state database cannot be used: missing, or written by a newer nimbusd. */
export class StateStoreError extends NimbusError {
  readonly code = 'STATE_STORE';
}

/** The audit log's hash chain is broken; the message names the first record that breaks it. */
export class AuditChainBrokenError extends NimbusError {
  readonly code = 'AUDIT_CHAIN_BROKEN';
}
