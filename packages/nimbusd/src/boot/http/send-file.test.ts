import { mkdirSync, mkdtempSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootHttpServer, type RequestEvent } from './server.ts';
import { eventually, openHandlesTo, rawExchange, request } from './testdata/http-client.ts';

const SIZE = 1000;
const DATA = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 7 + 3) % 256));
const MTIME = new Date('2025-03-04T05:06:07Z');
const LAST_MODIFIED = 'Tue, 04 Mar 2025 05:06:07 GMT';
const ETAG = `W/"${SIZE.toString(16)}-${MTIME.getTime().toString(16)}"`;

describe('sendFile through the boot HTTP server', () => {
  let dir: string;
  let server: BootHttpServer;
  let port: number;
  const events: RequestEvent[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-send-file-'));
    writeFileSync(join(dir, 'data.bin'), DATA);
    utimesSync(join(dir, 'data.bin'), MTIME, MTIME);
    writeFileSync(join(dir, 'empty.bin'), '');
    mkdirSync(join(dir, 'sub'));
    // Sparse: 64 MiB on paper, a few blocks on disk; too big to fit in the socket buffers.
    writeFileSync(join(dir, 'big.img'), '');
    truncateSync(join(dir, 'big.img'), 64 * 1024 * 1024);
    server = await BootHttpServer.listen({
      host: '127.0.0.1',
      port: 0,
      onRequest: (event) => events.push(event),
      routes: [
        {
          method: 'GET',
          pattern: '/files/:name',
          handler: (ctx) => ctx.sendFile(join(dir, ctx.params.name!), { contentType: 'application/x-test', headers: { 'Cache-Control': 'no-cache' } }),
        },
        // Small chunks and one read ahead: exercises the loop over many chunks on a small file.
        { method: 'GET', pattern: '/chunked/:name', handler: (ctx) => ctx.sendFile(join(dir, ctx.params.name!), { chunkSize: 7, readAhead: 1 }) },
      ],
    });
    port = server.address.port;
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (headers: Record<string, string> = {}, path = '/files/data.bin') => request(port, path, { headers });

  it('sends the whole file with its length, type, validators and Accept-Ranges', async () => {
    const reply = await get();
    expect(reply.status).toBe(200);
    expect(reply.body.equals(DATA)).toBe(true);
    expect(reply.headers).toMatchObject({
      'content-length': String(SIZE),
      'content-type': 'application/x-test',
      'last-modified': LAST_MODIFIED,
      etag: ETAG,
      'accept-ranges': 'bytes',
      'cache-control': 'no-cache',
    });
  });

  it('sends the same bytes in many small chunks', async () => {
    const reply = await get({}, '/chunked/data.bin');
    expect(reply.body.equals(DATA)).toBe(true);
    expect(reply.headers['content-type']).toBe('application/octet-stream');
  });

  it('answers HEAD with the headers of a GET and no body', async () => {
    // A keep-alive HEAD followed by a GET on the same connection: any body byte after the
    // HEAD's headers would show up in front of the GET's status line.
    const both = await rawExchange(
      port,
      `HEAD /files/data.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /files/empty.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
    );
    const [head, rest] = both.text.split('\r\n\r\n', 2) as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head).toContain(`Content-Length: ${SIZE}`);
    expect(head).toContain(`ETag: ${ETAG}`);
    expect(rest).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  describe('Range', () => {
    it.each([
      ['a start-end range', 'bytes=0-99', 0, 99],
      ['a range in the middle', 'bytes=500-500', 500, 500],
      ['a suffix range', 'bytes=-100', 900, 999],
      ['an open-ended range', 'bytes=900-', 900, 999],
      ['a range whose end is past the end', 'bytes=990-5000', 990, 999],
      ['a suffix longer than the file', 'bytes=-5000', 0, 999],
      ['overlapping ranges, which coalesce into one', 'bytes=0-9,5-19', 0, 19],
      ['spaces around the numbers', 'bytes= 10 - 19', 10, 19],
    ])('answers %s with 206 and that slice', async (_what, range, start, end) => {
      const reply = await get({ Range: range });
      expect(reply.status).toBe(206);
      expect(reply.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`);
      expect(reply.headers['content-length']).toBe(String(end - start + 1));
      expect(reply.body.equals(DATA.subarray(start, end + 1))).toBe(true);
    });

    it.each([
      ['a start past the end', 'bytes=1000-'],
      ['a start past the end with an end', 'bytes=2000-3000'],
      ['a zero-length suffix', 'bytes=-0'],
      ['a range whose start is after its end', 'bytes=50-10'],
    ])('answers %s with 416 and Content-Range bytes */size', async (_what, range) => {
      const reply = await get({ Range: range });
      expect(reply.status).toBe(416);
      expect(reply.headers['content-range']).toBe(`bytes */${SIZE}`);
      expect(reply.body.toString()).toContain('Range Not Satisfiable');
    });

    it.each([
      ['malformed syntax', 'bytes=abc'],
      ['a number that is not one', 'bytes=1x-5'],
      ['no equals sign', 'bytes'],
      ['another unit', 'items=0-9'],
      ['several ranges (we send the whole file rather than multipart/byteranges)', 'bytes=0-9,20-29'],
    ])('ignores %s and sends the whole file with 200', async (_what, range) => {
      const reply = await get({ Range: range });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-range']).toBeUndefined();
      expect(reply.body.equals(DATA)).toBe(true);
    });

    it('answers a range of an empty file with 416 bytes */0', async () => {
      const reply = await get({ Range: 'bytes=0-' }, '/files/empty.bin');
      expect(reply.status).toBe(416);
      expect(reply.headers['content-range']).toBe('bytes */0');
    });

    it('answers HEAD with a range like GET, without the body', async () => {
      const reply = await request(port, '/files/data.bin', { method: 'HEAD', headers: { Range: 'bytes=10-19' } });
      expect(reply.status).toBe(206);
      expect(reply.headers['content-range']).toBe(`bytes 10-19/${SIZE}`);
      expect(reply.body.length).toBe(0);
    });
  });

  describe('conditional requests', () => {
    it.each([
      ['If-None-Match with the ETag', { 'If-None-Match': ETAG }],
      ['If-None-Match with the ETag in a list', { 'If-None-Match': `"other", ${ETAG}` }],
      ['If-None-Match with the ETag without W/ (weak comparison)', { 'If-None-Match': ETAG.slice(2) }],
      ['If-None-Match: *', { 'If-None-Match': '*' }],
      ['If-Modified-Since equal to Last-Modified', { 'If-Modified-Since': LAST_MODIFIED }],
      ['If-Modified-Since after Last-Modified', { 'If-Modified-Since': 'Wed, 05 Mar 2025 00:00:00 GMT' }],
      ['If-None-Match that matches along with a Range', { 'If-None-Match': ETAG, Range: 'bytes=0-9' }],
    ])('answers %s with 304, the validators and no body', async (_what, headers) => {
      const reply = await get(headers);
      expect(reply.status).toBe(304);
      expect(reply.headers.etag).toBe(ETAG);
      expect(reply.headers['last-modified']).toBe(LAST_MODIFIED);
      expect(reply.headers['content-length']).toBeUndefined();
      expect(reply.body.length).toBe(0);
    });

    it.each([
      ['If-None-Match with another ETag', { 'If-None-Match': 'W/"3e8-1"' }],
      ['If-Modified-Since before Last-Modified', { 'If-Modified-Since': 'Mon, 03 Mar 2025 00:00:00 GMT' }],
      ['If-None-Match that does not match, with an If-Modified-Since that would', { 'If-None-Match': '"other"', 'If-Modified-Since': LAST_MODIFIED }],
      ['If-Modified-Since that is not a date', { 'If-Modified-Since': 'yesterday' }],
    ])('answers %s with the whole file', async (_what, headers) => {
      const reply = await get(headers);
      expect(reply.status).toBe(200);
      expect(reply.body.equals(DATA)).toBe(true);
    });

    it.each([
      ['If-Range with the ETag', ETAG, 206],
      ['If-Range with the exact Last-Modified date', LAST_MODIFIED, 206],
      ['If-Range with another ETag', '"something-else"', 200],
      ['If-Range with an older date', 'Mon, 03 Mar 2025 00:00:00 GMT', 200],
      ['If-Range that is not a date', 'soon', 200],
    ])('honours the Range under %s only when it matches', async (_what, ifRange, status) => {
      const reply = await get({ Range: 'bytes=0-9', 'If-Range': ifRange });
      expect(reply.status).toBe(status);
      expect(reply.body.equals(status === 206 ? DATA.subarray(0, 10) : DATA)).toBe(true);
    });
  });

  it.each([
    ['a missing file', '/files/missing.bin'],
    ['a directory', '/files/sub'],
  ])('answers %s with 404', async (_what, path) => {
    const reply = await request(port, path);
    expect(reply.status).toBe(404);
  });

  it('sends an empty file as 200 with Content-Length 0', async () => {
    const reply = await get({}, '/files/empty.bin');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe('0');
  });

  it('closes the file as soon as a client disconnects mid-download, and reports the request as aborted', async () => {
    const bigPath = join(dir, 'big.img');
    const openHandles = (): number => openHandlesTo(bigPath);
    expect(openHandles()).toBe(0);
    const before = events.length;

    // Read 1 MiB of 64, then stop reading: the server blocks on a full socket with the file open.
    const req = httpRequest({ host: '127.0.0.1', port, path: '/files/big.img', agent: false });
    req.on('error', () => {}); // the reset that our own destroy() causes
    const firstMiB = new Promise<void>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        let received = 0;
        res.on('error', () => {});
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= 1024 * 1024) {
            res.pause();
            resolve();
          }
        });
      });
    });
    req.end();
    await firstMiB;
    expect(await eventually(() => openHandles() === 1)).toBe(true);
    req.destroy();

    expect(await eventually(() => openHandles() === 0)).toBe(true);
    expect(await eventually(() => events.length > before)).toBe(true);
    expect(events.at(-1)).toMatchObject({ route: '/files/:name', status: 200, outcome: 'aborted' });
    expect(events.at(-1)!.bytes).toBeGreaterThanOrEqual(1024 * 1024);
    expect(events.at(-1)!.bytes).toBeLessThan(64 * 1024 * 1024);
  });
});
