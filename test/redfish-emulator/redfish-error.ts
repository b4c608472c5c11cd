/** Redfish error bodies as DSP0266 shapes them, with Base registry MessageIds. */

/**
 * MessageIds use a current Base registry rather than the mockups' own Base.1.5.0, which
 * predates ActionParameterValueNotInList, PreconditionFailed and OperationNotAllowed.
 */
export const BASE_REGISTRY = 'Base.1.18';

export interface RedfishErrorBody {
  error: {
    code: string;
    message: string;
    '@Message.ExtendedInfo': { '@odata.type': string; MessageId: string; Message: string; Severity: string; Resolution?: string }[];
  };
}

export function redfishError(messageKey: string, message: string, resolution?: string): RedfishErrorBody {
  const info: RedfishErrorBody['error']['@Message.ExtendedInfo'][number] = {
    '@odata.type': '#Message.v1_1_1.Message',
    MessageId: `${BASE_REGISTRY}.${messageKey}`,
    Message: message,
    Severity: 'Warning',
  };
  if (resolution !== undefined) info.Resolution = resolution;
  return {
    error: {
      code: `${BASE_REGISTRY}.GeneralError`,
      message: 'A general error has occurred. See ExtendedInfo for more information.',
      '@Message.ExtendedInfo': [info],
    },
  };
}

/** An error the request handler throws to answer with `status` and a Redfish error body. */
export class RedfishHttpError extends Error {
  readonly status: number;
  readonly body: RedfishErrorBody;
  readonly headers: Record<string, string>;

  constructor(status: number, messageKey: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.body = redfishError(messageKey, message);
    this.headers = headers;
  }
}
