/**
 * The request target of a boot HTTP request, split and decoded once, with the rules that
 * keep a path parameter safe to join to a directory: after percent-decoding, no segment
 * contains '/', '\', '..' or a control character, and none is '.'.
 */
import { HttpBadRequestError } from './errors.ts';

export interface RequestTarget {
  /** The path as sent, without the query: what the access log shows (minus secret parameters). */
  rawPath: string;
  /** The path's segments, percent-decoded; `/` has none, `/a/` has `['a', '']`. */
  segments: string[];
  query: URLSearchParams;
}

// C0 controls and DEL: never part of a file name or token that a boot client asks for.
const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;

/** Splits and decodes an origin-form target (`/images/a.img?x=1`); throws HttpBadRequestError for anything else. */
export function parseRequestTarget(url: string): RequestTarget {
  if (!url.startsWith('/')) {
    throw new HttpBadRequestError('request target is not a path starting with "/" (absolute-form and "*" are not served here)');
  }
  const queryAt = url.indexOf('?');
  const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1);
  if (rawPath.includes('#')) throw new HttpBadRequestError('request path contains "#"');
  const segments = rawPath === '/' ? [] : rawPath.slice(1).split('/').map((segment, index) => decodeSegment(segment, index));
  return { rawPath, segments, query: new URLSearchParams(rawQuery) };
}

function decodeSegment(raw: string, index: number): string {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch (cause) {
    throw new HttpBadRequestError(`path segment ${index + 1} has a malformed percent-encoding`, { cause });
  }
  if (segment.includes('/') || segment.includes('\\')) {
    throw new HttpBadRequestError(`path segment ${index + 1} decodes to a string containing a path separator`);
  }
  if (segment === '.' || segment.includes('..')) {
    throw new HttpBadRequestError(`path segment ${index + 1} is "." or contains ".."`);
  }
  if (CONTROL_CHARACTER.test(segment)) {
    throw new HttpBadRequestError(`path segment ${index + 1} contains a control character`);
  }
  return segment;
}
