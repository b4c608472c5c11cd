/**
 * The route table: `/images/:name` style patterns, matched against decoded path
 * segments. A literal segment beats a parameter (so `/images/latest` wins over
 * `/images/:name`), a GET route answers HEAD too, and a path that some route matches
 * under another method is a 405 with the methods that would have worked.
 */
import type { RequestContext } from './context.ts';
import { HttpRouteError } from './errors.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT';

export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT'];

export type RouteHandler = (ctx: RequestContext) => void | Promise<void>;

export interface Route {
  method: HttpMethod;
  /** `/` or `/segment/:param/...`; a `:param` matches one non-empty decoded segment. */
  pattern: string;
  handler: RouteHandler;
  /** Parameters whose values are secrets (one-time tokens): the access log shows them as `[Redacted]`. */
  secretParams?: readonly string[];
}

export type RouteLookup =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: HttpMethod[] }
  | { kind: 'not-found' };

type Segment = { literal: string } | { param: string };

interface CompiledRoute {
  route: Route;
  segments: Segment[];
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// RFC 3986 pchar without '%' (literals are compared with decoded segments, so they are written decoded).
const LITERAL_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=@]+$/;

export class RouteTable {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    const compiled = routes.map(compile);
    const seen = new Set<string>();
    for (const { route, segments } of compiled) {
      const shape = `${route.method} /${segments.map((s) => ('literal' in s ? s.literal : ':')).join('/')}`;
      if (seen.has(shape)) {
        throw new HttpRouteError(`two ${route.method} routes match the same paths as "${route.pattern}": remove or rename one`);
      }
      seen.add(shape);
    }
    this.#routes = compiled.sort(bySpecificity);
  }

  /** The most specific route for this method and these decoded segments, or why there is none. */
  lookup(method: string, path: readonly string[]): RouteLookup {
    const allow = new Set<HttpMethod>();
    for (const compiled of this.#routes) {
      const params = match(compiled.segments, path);
      if (params === undefined) continue;
      const { route } = compiled;
      if (route.method === method || (route.method === 'GET' && method === 'HEAD')) return { kind: 'found', route, params };
      allow.add(route.method);
      if (route.method === 'GET') allow.add('HEAD');
    }
    if (allow.size === 0) return { kind: 'not-found' };
    return { kind: 'method-not-allowed', allow: HTTP_METHODS.filter((m) => allow.has(m)) };
  }
}

function compile(route: Route): CompiledRoute {
  const { pattern } = route;
  if (!HTTP_METHODS.includes(route.method)) {
    throw new HttpRouteError(`route "${pattern}" has method "${String(route.method)}": use one of ${HTTP_METHODS.join(', ')}`);
  }
  if (!pattern.startsWith('/')) throw new HttpRouteError(`route pattern "${pattern}" must start with "/"`);
  if (pattern === '/') return { route, segments: [] };
  const names = new Set<string>();
  const segments = pattern.slice(1).split('/').map((part): Segment => {
    if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) throw new HttpRouteError(`route pattern "${pattern}": parameter "${part}" must be ":" and an identifier`);
      if (names.has(name)) throw new HttpRouteError(`route pattern "${pattern}" names parameter "${name}" twice`);
      names.add(name);
      return { param: name };
    }
    if (!LITERAL_SEGMENT.test(part) || part === '.' || part.includes('..')) {
      throw new HttpRouteError(`route pattern "${pattern}": segment "${part}" is empty or not a plain path segment (no "%", "?", "#", "..")`);
    }
    return { literal: part };
  });
  for (const name of route.secretParams ?? []) {
    if (!names.has(name)) throw new HttpRouteError(`route "${pattern}" lists secret parameter "${name}", which it does not have`);
  }
  return { route, segments };
}

function match(segments: readonly Segment[], path: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const value = path[i]!;
    if ('literal' in segment) {
      if (segment.literal !== value) return undefined;
    } else {
      if (value === '') return undefined;
      params[segment.param] = value;
    }
  }
  return params;
}

/** Literal segments first, position by position; an explicit HEAD route before the GET that would also answer HEAD. */
function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const aParam = 'param' in a.segments[i]! ? 1 : 0;
    const bParam = 'param' in b.segments[i]! ? 1 : 0;
    if (aParam !== bParam) return aParam - bParam;
  }
  return (a.route.method === 'HEAD' ? 0 : 1) - (b.route.method === 'HEAD' ? 0 : 1);
}
