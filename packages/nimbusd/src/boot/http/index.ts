export { BootHttpServer, type BootHttpServerOptions, type RequestEvent } from './server.ts';
export { type Route, type RouteHandler, type HttpMethod, HTTP_METHODS } from './routes.ts';
export type { RequestContext } from './context.ts';
export { sendFile, DEFAULT_CHUNK_SIZE, DEFAULT_READ_AHEAD, type SendFileOptions, type SendFileResult } from './send-file.ts';
export {
  type BootHttpLimits,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_CLOSE_GRACE_MS,
} from './limits.ts';
export {
  HttpServerError,
  HttpRequestError,
  HttpBadRequestError,
  HttpNotFoundError,
  HttpBodyTimeoutError,
  HttpBodyTooLargeError,
  HttpRouteError,
  HttpListenError,
  HttpFileError,
  HttpResponseStateError,
} from './errors.ts';
