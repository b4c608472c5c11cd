import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpListenError, HttpNotFoundError, HttpRouteError } from './errors.ts';
import { BootHttpServer, type RequestEvent } from './server.ts';
import { TEST_SECRETS } from '../../../../../test/support/test-secrets.ts';
import { capturingLogger, eventually, rawExchange, request } from './testdata/http-client.ts';

const SECRET = 's3cret-token-4f2a9c';

describe('BootHttpServer', () => {
  let server: BootHttpServer;
  let port: number;
  const events: RequestEvent[] = [];
  const log = capturingLogger();

  beforeAll(async () => {
    server = await BootHttpServer.listen({
      host: '127.0.0.1',
      port: 0,
      logger: log.logger,
      onRequest: (event) => events.push(event),
      limits: { maxBodyBytes: 4096, bodyTimeoutMs: 300 },
      routes: [
        { method: 'GET', pattern: '/', handler: (ctx) => ctx.sendText(200, 'root\n') },
        { method: 'GET', pattern: '/hello/:name', handler: (ctx) => ctx.sendText(200, `hello ${ctx.params.name}\n`) },
        { method: 'GET', pattern: '/hello/world', handler: (ctx) => ctx.sendText(200, 'the literal route\n') },
        { method: 'PUT', pattern: '/hello/:name', handler: (ctx) => ctx.sendText(201, 'stored\n') },
        {
          method: 'GET',
          pattern: '/echo/:a/:b',
          handler: (ctx) => ctx.sendJson(200, { method: ctx.method, path: ctx.path, params: ctx.params, q: ctx.query.get('q'), ua: ctx.headers['user-agent'] }),
        },
        {
          method: 'POST',
          pattern: '/deploy/:token/progress',
          secretParams: ['token'],
          handler: async (ctx) => {
            const body = await ctx.readBody();
            ctx.sendJson(200, { received: body.length, text: body.toString('utf8') });
          },
        },
        { method: 'POST', pattern: '/small', handler: async (ctx) => ctx.sendText(200, `${(await ctx.readBody(10)).length}\n`) },
        {
          method: 'GET',
          pattern: '/throws',
          handler: () => {
            throw new Error(`database exploded while looking up ${SECRET}`);
          },
        },
        {
          method: 'GET',
          pattern: '/rejects',
          handler: async () => {
            await Promise.resolve();
            throw new Error(`async failure with ${SECRET}`);
          },
        },
        {
          method: 'GET',
          pattern: '/unknown-token/:token',
          secretParams: ['token'],
          handler: () => {
            throw new HttpNotFoundError('no deploy has this token');
          },
        },
        { method: 'GET', pattern: '/silent', handler: () => {} },
        {
          method: 'GET',
          pattern: '/twice',
          handler: (ctx) => {
            ctx.sendText(200, 'first\n');
            ctx.sendText(200, 'second\n');
          },
        },
      ],
    });
    port = server.address.port;
  });

  afterAll(async () => {
    await server?.close();
  });

  beforeEach(() => {
    events.length = 0;
  });

  /** The request event of the last request, once the server has reported it. */
  async function lastEvent(): Promise<RequestEvent> {
    await eventually(() => events.length > 0);
    return events.at(-1)!;
  }

  describe('routing', () => {
    it('binds the address it was given', () => {
      expect(server.address.address).toBe('127.0.0.1');
      expect(server.address.port).toBeGreaterThan(0);
    });

    it('serves the root pattern', async () => {
      expect((await request(port, '/')).body.toString()).toBe('root\n');
    });

    it('hands the handler decoded params, the query, headers and method', async () => {
      const reply = await request(port, '/echo/a%20b/%C3%A9?q=x%26y', { headers: { 'User-Agent': 'iPXE/1.21' } });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/json');
      expect(JSON.parse(reply.body.toString())).toEqual({ method: 'GET', path: '/echo/a%20b/%C3%A9', params: { a: 'a b', b: 'é' }, q: 'x&y', ua: 'iPXE/1.21' });
    });

    it('prefers the literal route to the parameter one', async () => {
      expect((await request(port, '/hello/world')).body.toString()).toBe('the literal route\n');
      expect((await request(port, '/hello/moon')).body.toString()).toBe('hello moon\n');
    });

    it('answers HEAD on a GET route with the headers and no body', async () => {
      const reply = await request(port, '/hello/moon', { method: 'HEAD' });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-length']).toBe(String('hello moon\n'.length));
      expect(reply.body.length).toBe(0);
    });

    it.each([
      ['an unknown path', '/nothing/here'],
      ['a trailing slash', '/hello/moon/'],
      ['an empty parameter', '/hello/'],
    ])('answers %s with 404', async (_what, path) => {
      const reply = await request(port, path);
      expect(reply.status).toBe(404);
      expect(await lastEvent()).toMatchObject({ route: null, status: 404 });
    });

    it('answers a wrong method with 405 and Allow', async () => {
      const reply = await request(port, '/hello/moon', { method: 'DELETE' });
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD, PUT');
      expect((await request(port, '/hello/moon', { method: 'PUT', body: 'x' })).status).toBe(201);
    });

    it.each([
      ['an encoded dot-dot', '/hello/%2e%2e'],
      ['an encoded slash', '/hello/a%2Fb'],
      ['an encoded NUL', '/hello/a%00'],
      ['a bad percent-encoding', '/hello/%E0%A4%A'],
    ])('answers a path with %s with 400, before any handler', async (_what, path) => {
      const reply = await request(port, path);
      expect(reply.status).toBe(400);
    });
  });

  describe('handler failures', () => {
    it.each([
      ['throws', '/throws'],
      ['rejects', '/rejects'],
    ])('answers a handler that %s with a generic 500 and logs the error', async (_what, path) => {
      const reply = await request(port, path);
      expect(reply.status).toBe(500);
      expect(reply.body.toString()).toBe('Internal Server Error\n');
      expect(reply.body.toString()).not.toContain(SECRET);
      const logged = log.lines().filter((line) => line.msg === 'boot HTTP handler failed');
      // The operator sees the error in the log; the client never does.
      expect(logged.at(-1)).toMatchObject({ level: 50, route: path, err: { message: expect.stringContaining(SECRET) as unknown } });
    });

    it('answers an HttpNotFoundError with 404 and the reason phrase, not the message', async () => {
      const reply = await request(port, `/unknown-token/${SECRET}`);
      expect(reply.status).toBe(404);
      expect(reply.body.toString()).toBe('Not Found\n');
      expect(log.lines().findLast((l) => l.msg === 'boot HTTP request refused')).toMatchObject({ code: 'HTTP_NOT_FOUND', reason: 'no deploy has this token' });
    });

    it('answers 500 when a handler returns without answering', async () => {
      expect((await request(port, '/silent')).status).toBe(500);
      expect(log.lines().at(-2)).toMatchObject({ err: { code: 'HTTP_RESPONSE_STATE' } });
    });

    it('keeps the first answer of a handler that answers twice, and logs the second as a bug', async () => {
      const reply = await request(port, '/twice');
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toBe('first\n');
      await eventually(() => log.text().includes('answered twice'));
      expect(log.text()).toContain('answered twice');
    });
  });

  describe('request bodies', () => {
    it('reads a body within the limit', async () => {
      const reply = await request(port, '/deploy/t/progress', { method: 'POST', body: '{"percent":40}', headers: { 'Content-Type': 'application/json' } });
      expect(JSON.parse(reply.body.toString())).toEqual({ received: 14, text: '{"percent":40}' });
    });

    it('reads a chunked body', async () => {
      const answer = await rawExchange(port, 'POST /deploy/t/progress HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
      expect(answer.text).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer.text).toContain('"text":"abcde"');
    });

    it('answers a declared length over the server limit with 413 and closes the connection', async () => {
      const reply = await request(port, '/deploy/t/progress', { method: 'POST', body: Buffer.alloc(5000) });
      expect(reply.status).toBe(413);
      expect(reply.headers.connection).toBe('close');
      expect(reply.body.toString()).toContain('4096 bytes');
    });

    it('answers a chunked body that grows past the limit with 413', async () => {
      const chunk = 'a'.repeat(1000);
      const chunks = Array.from({ length: 6 }, () => `3e8\r\n${chunk}\r\n`).join('');
      const answer = await rawExchange(port, `POST /deploy/t/progress HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
      expect(answer.text).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer.closedByServer).toBe(true);
    });

    it("applies a handler's own lower limit", async () => {
      expect((await request(port, '/small', { method: 'POST', body: '0123456789' })).status).toBe(200);
      expect((await request(port, '/small', { method: 'POST', body: '0123456789a' })).status).toBe(413);
    });

    it('answers a body that does not arrive in time with 408', async () => {
      const answer = await rawExchange(port, 'POST /deploy/t/progress HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part of it');
      expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer.closedByServer).toBe(true);
    });

    it.each([
      ['a Content-Length that is not a number', 'Content-Length: ten'],
      ['two different Content-Lengths', 'Content-Length: 3\r\nContent-Length: 4'],
      ['a negative Content-Length', 'Content-Length: -1'],
    ])('answers %s with 400', async (_what, header) => {
      const answer = await rawExchange(port, `POST /deploy/t/progress HTTP/1.1\r\nHost: t\r\n${header}\r\n\r\nabcd`);
      expect(answer.text).toMatch(/^HTTP\/1\.1 400 /);
    });
  });

  describe('request events and the access log', () => {
    it('reports method, route pattern, status, body bytes, duration and outcome', async () => {
      await request(port, '/hello/moon');
      expect(await lastEvent()).toEqual({ method: 'GET', route: '/hello/:name', status: 200, bytes: 11, durationMs: expect.any(Number) as unknown, outcome: 'completed' });
      events.length = 0;
      await request(port, '/hello/moon', { method: 'HEAD' });
      expect(await lastEvent()).toMatchObject({ method: 'HEAD', route: '/hello/:name', bytes: 0 });
    });

    it('logs each request at debug with credentials, query strings and secret params redacted', async () => {
      const token = TEST_SECRETS.deployToken;
      const bearer = TEST_SECRETS.apiToken;
      const logged = log.text().length;
      await request(port, `/deploy/${token}/progress?token=${token}`, {
        method: 'POST',
        body: '{}',
        headers: { Authorization: `Bearer ${bearer}`, Cookie: `session=${bearer}`, 'Proxy-Authorization': `Basic ${bearer}` },
      });
      await eventually(() => log.text().includes('?[Redacted]'));
      const line = log.lines().findLast((l) => l.msg === 'boot HTTP request' && l.route === '/deploy/:token/progress')!;
      expect(line).toMatchObject({
        level: 20,
        method: 'POST',
        status: 200,
        target: '/deploy/[Redacted]/progress?[Redacted]',
        headers: { authorization: '[Redacted]', cookie: '[Redacted]', 'proxy-authorization': '[Redacted]' },
      });
      expect(log.text().slice(logged)).not.toContain(token);
      expect(log.text().slice(logged)).not.toContain(bearer);
    });
  });

  it('refuses to listen on a port that is taken, with an HttpListenError', async () => {
    await expect(BootHttpServer.listen({ host: '127.0.0.1', port, routes: [] })).rejects.toThrow(HttpListenError);
  });

  it('refuses a bad route table before binding anything', async () => {
    await expect(BootHttpServer.listen({ host: '127.0.0.1', port: 0, routes: [{ method: 'GET', pattern: 'nope', handler: () => {} }] })).rejects.toThrow(HttpRouteError);
  });

  it('keeps a connection alive across requests', async () => {
    const answer = await rawExchange(port, 'GET /hello/a HTTP/1.1\r\nHost: t\r\n\r\nGET /hello/b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(answer.text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(answer.text).toContain('hello b');
  });

  it('accepts connections again after a client connects and leaves without a byte', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve();
      });
    });
    expect((await request(port, '/')).status).toBe(200);
  });
});
