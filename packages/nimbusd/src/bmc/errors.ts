import { NimbusError } from '@nimbus/core';

/** Anything a BMC call can fail with. Messages never contain a password, token or K_g. */
export abstract class BmcError extends NimbusError {}

/** The BMC refused the credentials (IPMI RAKP status, Redfish 401 after login). */
export class BmcAuthError extends BmcError {
  readonly code = 'BMC_AUTH';
}

/** No answer in time, after the driver's bounded retries. */
export class BmcTimeoutError extends BmcError {
  readonly code = 'BMC_TIMEOUT';
}

/** The driver or this BMC cannot do what was asked (e.g. virtual media over IPMI, no usable cipher suite). */
export class BmcUnsupportedError extends BmcError {
  readonly code = 'BMC_UNSUPPORTED';
}

/** What was asked is held by another session on the BMC (its serial console is open elsewhere). */
export class BmcBusyError extends BmcError {
  readonly code = 'BMC_BUSY';
}

/** The BMC answered, but with an error or something that does not parse. */
export class BmcProtocolError extends BmcError {
  readonly code = 'BMC_PROTOCOL';
  /** IPMI completion code, when the error is one. */
  readonly completionCode?: number;
  /** Redfish `@Message.ExtendedInfo` MessageId, when there is one. */
  readonly messageId?: string;
  /** The URL (Redfish) or the command (IPMI) that failed. */
  readonly target?: string;

  constructor(message: string, details: { completionCode?: number; messageId?: string; target?: string } = {}, options?: ErrorOptions) {
    super(message, options);
    if (details.completionCode !== undefined) this.completionCode = details.completionCode;
    if (details.messageId !== undefined) this.messageId = details.messageId;
    if (details.target !== undefined) this.target = details.target;
  }
}

/** A driver's settings are missing or wrong; found by `validate` before any network call. */
export class BmcConfigError extends BmcError {
  readonly code = 'BMC_CONFIG';
}
