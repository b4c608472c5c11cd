/**
 * What the access log may show of a request: credentials, query strings and a route's
 * secret parameters (one-time deploy tokens) are replaced before anything is logged,
 * whatever redaction the logger itself does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from './routes.ts';

export const REDACTED = '[Redacted]';

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** The headers with every credential replaced by `[Redacted]`. */
export function redactHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of CREDENTIAL_HEADERS) if (copy[name] !== undefined) copy[name] = REDACTED;
  return copy;
}

/**
 * The request target for the log: the raw path with the route's secret segments
 * replaced, and any query string (which may carry a token) replaced as a whole.
 */
export function redactTarget(url: string, route?: Route): string {
  const queryAt = url.indexOf('?');
  let path = queryAt === -1 ? url : url.slice(0, queryAt);
  const secrets = route?.secretParams ?? [];
  if (secrets.length > 0) {
    const pattern = route!.pattern.split('/');
    path = path
      .split('/')
      .map((segment, i) => (pattern[i]?.startsWith(':') && secrets.includes(pattern[i].slice(1)) ? REDACTED : segment))
      .join('/');
  }
  return queryAt === -1 ? path : `${path}?${REDACTED}`;
}
