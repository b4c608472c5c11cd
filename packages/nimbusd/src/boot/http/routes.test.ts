import { describe, expect, it } from 'vitest';
import { HttpRouteError } from './errors.ts';
import { RouteTable, type Route } from './routes.ts';

const handler = (): void => {};
const route = (method: Route['method'], pattern: string, extra: Partial<Route> = {}): Route => ({ method, pattern, handler, ...extra });

describe('RouteTable.lookup', () => {
  const imageByName = route('GET', '/images/:name');
  const latest = route('GET', '/images/latest');
  const upload = route('PUT', '/images/:name');
  const progress = route('POST', '/deploy/:token/progress');
  const root = route('GET', '/');
  const twoParams = route('GET', '/seed/:machine/:file');
  const table = new RouteTable([imageByName, latest, upload, progress, root, twoParams]);

  it('matches a parameter and hands it over decoded', () => {
    expect(table.lookup('GET', ['images', 'deb ian.img'])).toEqual({ kind: 'found', route: imageByName, params: { name: 'deb ian.img' } });
  });

  it('prefers a literal segment over a parameter, whatever the order the routes were given in', () => {
    expect(table.lookup('GET', ['images', 'latest'])).toMatchObject({ route: latest, params: {} });
    const reversed = new RouteTable([latest, imageByName]);
    expect(reversed.lookup('GET', ['images', 'latest'])).toMatchObject({ route: latest });
  });

  it('matches several parameters', () => {
    expect(table.lookup('GET', ['seed', 'm-1', 'user-data'])).toMatchObject({ route: twoParams, params: { machine: 'm-1', file: 'user-data' } });
  });

  it('matches the root pattern only for "/"', () => {
    expect(table.lookup('GET', [])).toMatchObject({ route: root });
    expect(table.lookup('GET', [''])).toEqual({ kind: 'not-found' });
  });

  it('lets a GET route answer HEAD', () => {
    expect(table.lookup('HEAD', ['images', 'a.img'])).toMatchObject({ kind: 'found', route: imageByName });
  });

  it('prefers an explicit HEAD route to the GET that would answer HEAD', () => {
    const head = route('HEAD', '/images/:name');
    expect(new RouteTable([imageByName, head]).lookup('HEAD', ['images', 'a'])).toMatchObject({ route: head });
    expect(new RouteTable([imageByName, head]).lookup('GET', ['images', 'a'])).toMatchObject({ route: imageByName });
  });

  it('chooses by method among routes that match the path', () => {
    expect(table.lookup('PUT', ['images', 'a.img'])).toMatchObject({ route: upload });
    // PUT /images/latest: the literal GET route does not take it, the PUT parameter route does.
    expect(table.lookup('PUT', ['images', 'latest'])).toMatchObject({ route: upload });
  });

  it.each([
    ['a wrong method on a GET and PUT path', 'DELETE', ['images', 'a.img'], ['GET', 'HEAD', 'PUT']],
    ['POST on a GET and PUT path', 'POST', ['images', 'a.img'], ['GET', 'HEAD', 'PUT']],
    ['GET on a POST-only path', 'GET', ['deploy', 't', 'progress'], ['POST']],
    ['an unknown method', 'BREW', [], ['GET', 'HEAD']],
  ])('answers %s with method-not-allowed and the methods that work', (_what, method, path, allow) => {
    expect(table.lookup(method, path)).toEqual({ kind: 'method-not-allowed', allow });
  });

  it.each([
    ['an unknown path', ['nothing']],
    ['a path one segment too long', ['images', 'a.img', 'x']],
    ['a path one segment too short', ['images']],
    ['an empty parameter (trailing slash)', ['images', '']],
    ['an empty parameter in the middle', ['deploy', '', 'progress']],
    ['a literal that differs in case', ['Images', 'a.img']],
  ])('finds nothing for %s', (_what, path) => {
    expect(table.lookup('GET', path)).toEqual({ kind: 'not-found' });
  });
});

describe('RouteTable validation', () => {
  it.each([
    ['no leading slash', 'images/:name'],
    ['an empty segment', '/images//x'],
    ['a trailing slash', '/images/'],
    ['a bare colon', '/images/:'],
    ['a parameter name that is not an identifier', '/images/:1name'],
    ['a literal with a percent sign', '/images/a%20b'],
    ['a literal dot-dot', '/images/..'],
    ['a literal dot', '/./images'],
    ['a query in the pattern', '/images?x'],
    ['a parameter named twice', '/a/:x/:x'],
  ])('refuses a pattern with %s', (_what, pattern) => {
    expect(() => new RouteTable([route('GET', pattern)])).toThrow(HttpRouteError);
  });

  it('refuses two routes with the same method and the same shape', () => {
    expect(() => new RouteTable([route('GET', '/images/:name'), route('GET', '/images/:id')])).toThrow(/two GET routes/);
    expect(() => new RouteTable([route('GET', '/images/:name'), route('PUT', '/images/:id')])).not.toThrow();
  });

  it('refuses a method it does not serve', () => {
    expect(() => new RouteTable([{ method: 'DELETE' as Route['method'], pattern: '/x', handler }])).toThrow(/method "DELETE"/);
  });

  it('refuses a secret parameter the pattern does not have', () => {
    expect(() => new RouteTable([route('POST', '/deploy/:token', { secretParams: ['tokn'] })])).toThrow(/secret parameter "tokn"/);
  });
});
