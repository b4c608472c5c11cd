import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootHttpServer, type RequestEvent } from './server.ts';
import { eventually, rawExchange, request } from './testdata/http-client.ts';

/** Bytes no well-behaved client sends, over a raw TCP socket: each gets a 4xx or a closed socket, and the server goes on. */
describe('BootHttpServer against malformed requests', () => {
  let server: BootHttpServer;
  let port: number;
  let handled = 0;
  const events: RequestEvent[] = [];

  beforeAll(async () => {
    server = await BootHttpServer.listen({
      host: '127.0.0.1',
      port: 0,
      limits: { maxHeaderBytes: 8 * 1024 },
      onRequest: (event) => events.push(event),
      routes: [
        {
          method: 'GET',
          pattern: '/images/:name',
          handler: (ctx) => {
            handled++;
            ctx.sendText(200, `image ${ctx.params.name}\n`);
          },
        },
        {
          method: 'POST',
          pattern: '/upload',
          handler: async (ctx) => {
            handled++;
            ctx.sendText(200, `${(await ctx.readBody()).length}\n`);
          },
        },
      ],
    });
    port = server.address.port;
  });

  afterAll(async () => {
    await server?.close();
  });

  const cases: Array<[string, string | Buffer, RegExp | 'closed']> = [
    ['garbage bytes', Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a]), /^HTTP\/1\.1 400 /],
    ['a line of text that is not HTTP', 'hello there, server\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a header line without a colon', 'GET /images/a HTTP/1.1\r\nHost: t\r\nX-No-Colon here\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a header over the size limit', `GET /images/a HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(16 * 1024)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ['too many headers for the size limit', `GET /images/a HTTP/1.1\r\nHost: t\r\n${Array.from({ length: 1000 }, (_, i) => `X-Header-${i}: value\r\n`).join('')}\r\n`, /^HTTP\/1\.1 431 /],
    ['a method that is not a token', 'G(T /images/a HTTP/1.1\r\nHost: t\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a method HTTP does not have', 'FROB /images/a HTTP/1.1\r\nHost: t\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a method we do not serve', 'DELETE /images/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 405 /],
    ['an unknown HTTP version', 'GET /images/a HTTP/7.3\r\nHost: t\r\n\r\n', /^HTTP\/1\.1 [45]\d\d /],
    ['a chunk size that is not hex', 'POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n', 'closed'],
    ['a chunk longer than its size', 'POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n', 'closed'],
    ['chunked and Content-Length together', 'POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a path with an encoded dot-dot', 'GET /images/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a path that decodes to dot-dot-slash', 'GET /images/%2e%2e%2fpasswd HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a raw NUL in the path', 'GET /images/a\x00b HTTP/1.1\r\nHost: t\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['an encoded NUL in the path', 'GET /images/a%00.img HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a raw space inside the path', 'GET /images/a b HTTP/1.1\r\nHost: t\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['an absolute-form target', 'GET http://evil.test/images/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['no Host header in HTTP/1.1', 'GET /images/a HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a bare LF line ending inside headers', 'GET /images/a HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n', /^HTTP\/1\.1 400 /],
  ];

  it.each(cases)('answers %s with a 4xx or by closing, then serves a good request', async (_what, bytes, expected) => {
    const before = handled;
    const answer = await rawExchange(port, bytes);
    if (expected === 'closed') {
      expect(answer.closedByServer).toBe(true);
      expect(answer.text === '' || /^HTTP\/1\.1 4\d\d /.test(answer.text)).toBe(true);
    } else {
      expect(answer.text).toMatch(expected);
      expect(answer.closedByServer).toBe(true);
    }
    // None of these may reach a handler with a path it should not see.
    if (typeof bytes === 'string' && bytes.startsWith('GET')) expect(handled).toBe(before);
    const good = await request(port, '/images/debian.img');
    expect(good.status).toBe(200);
    expect(good.body.toString()).toBe('image debian.img\n');
  });

  it('reports a request the parser refused, with method "" and no route, for the metrics', async () => {
    events.length = 0;
    await rawExchange(port, `GET /images/a HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(16 * 1024)}\r\n\r\n`);
    expect(await eventually(() => events.length === 1)).toBe(true);
    expect(events[0]).toMatchObject({ method: '', route: null, status: 431, outcome: 'completed' });
  });

  it('serves a good request on a connection that stays open while another sends garbage', async () => {
    const pending = rawExchange(port, 'GET /images/slow HTTP/1.1\r\nHost: t\r\n', 300); // headers never finished
    await rawExchange(port, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect((await request(port, '/images/ok')).status).toBe(200);
    expect((await pending).text).toBe('');
  });
});
