import { STATUS_CODES } from 'node:http';
import { NimbusError } from '@nimbus/core';

/** Anything the boot HTTP server fails with. Messages never contain a header value, a query string or a token. */
export abstract class HttpServerError extends NimbusError {}

/**
 * A request the server refuses with a 4xx status. Handlers may throw one (e.g.
 * `HttpNotFoundError` for an unknown deploy token); the server answers with `status`
 * and `publicMessage`, and writes `message` to its debug log only: the client never sees
 * it, but an operator may, so it names what was looked up and never a token's value.
 */
export abstract class HttpRequestError extends HttpServerError {
  abstract readonly status: number;
  /** What the client is told; defaults to the status's reason phrase. */
  readonly publicMessage: string | undefined;

  constructor(message: string, options?: ErrorOptions & { publicMessage?: string }) {
    super(message, options);
    this.publicMessage = options?.publicMessage;
  }

  /** The response body: the public message, or the reason phrase of the status. */
  responseText(): string {
    return `${this.publicMessage ?? STATUS_CODES[this.status] ?? 'Error'}\n`;
  }
}

/** 400: the request is malformed (bad Content-Length, a path that decodes to '..' or NUL, a body that is not JSON). */
export class HttpBadRequestError extends HttpRequestError {
  readonly code = 'HTTP_BAD_REQUEST';
  readonly status = 400;
}

/** 404: nothing is served at this path (or for this token). */
export class HttpNotFoundError extends HttpRequestError {
  readonly code = 'HTTP_NOT_FOUND';
  readonly status = 404;
}

/** 408: the client did not send the request body within the server's body timeout. */
export class HttpBodyTimeoutError extends HttpRequestError {
  readonly code = 'HTTP_BODY_TIMEOUT';
  readonly status = 408;
}

/** 413: the request body is larger than the handler accepts. */
export class HttpBodyTooLargeError extends HttpRequestError {
  readonly code = 'HTTP_BODY_TOO_LARGE';
  readonly status = 413;
}

/** A route table that cannot be served: a malformed pattern, or two routes for the same method and pattern. */
export class HttpRouteError extends HttpServerError {
  readonly code = 'HTTP_ROUTE';
}

/** The server could not bind its address (taken, not local, no permission). */
export class HttpListenError extends HttpServerError {
  readonly code = 'HTTP_LISTEN';
}

/** A file to be served could not be read (permissions, an I/O error, a file that shrank while it was sent). */
export class HttpFileError extends HttpServerError {
  readonly code = 'HTTP_FILE';
}

/** A handler used its context wrongly: answered twice, or returned without answering. A bug in the handler. */
export class HttpResponseStateError extends HttpServerError {
  readonly code = 'HTTP_RESPONSE_STATE';
}
