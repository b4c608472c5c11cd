import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, closeSync, rmSync, truncateSync, writeSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingPrograms } from '../tftp/testdata/clients.ts';
import { BootHttpServer, type RequestEvent } from './server.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const SIZE = 64 * MiB;

const curlMissing = missingPrograms('curl');

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** curl as the real peer: a whole download compared byte for byte, and a resumed one. */
describe.skipIf(curlMissing !== undefined)(`BootHttpServer with curl${curlMissing ? ` (skipped: ${curlMissing})` : ''}`, () => {
  let dir: string;
  let image: string;
  let server: BootHttpServer;
  let url: string;
  const events: RequestEvent[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-http-curl-'));
    image = join(dir, 'disk.img');
    // 64 MiB, sparse, with distinct bytes at chunk boundaries and in the middle of chunks,
    // so a chunk sent twice, skipped or out of order changes the hash.
    const fd = openSync(image, 'w');
    try {
      truncateSync(image, SIZE);
      for (let offset = 0; offset < SIZE; offset += MiB / 2 - 7) {
        writeSync(fd, Buffer.from(`@${offset.toString(16)}@`), 0, undefined, offset);
      }
      writeSync(fd, Buffer.from('the end'), 0, undefined, SIZE - 7);
    } finally {
      closeSync(fd);
    }
    server = await BootHttpServer.listen({
      host: '127.0.0.1',
      port: 0,
      onRequest: (event) => events.push(event),
      routes: [{ method: 'GET', pattern: '/images/:name', handler: (ctx) => ctx.sendFile(join(dir, ctx.params.name!)) }],
    });
    url = `http://127.0.0.1:${server.address.port}/images/disk.img`;
  });

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a 64 MiB image byte-exact', async () => {
    const out = join(dir, 'whole.img');
    const { stdout } = await run('curl', ['-sS', '--fail', '-o', out, '-w', '%{http_code} %{size_download}', url]);
    expect(stdout).toBe(`200 ${SIZE}`);
    expect(await sha256(out)).toBe(await sha256(image));
    expect(events.at(-1)).toMatchObject({ route: '/images/:name', status: 200, bytes: SIZE, outcome: 'completed' });
  });

  it('resumes a partial download with -C -', async () => {
    const out = join(dir, 'partial.img');
    copyFileSync(image, out);
    // What an interrupted download leaves: the first 20 MiB and a few bytes.
    truncateSync(out, 20 * MiB + 123);
    const { stdout } = await run('curl', ['-sS', '--fail', '-C', '-', '-o', out, '-w', '%{http_code} %{size_download}', url]);
    expect(stdout).toBe(`206 ${SIZE - (20 * MiB + 123)}`);
    expect(statSync(out).size).toBe(SIZE);
    expect(await sha256(out)).toBe(await sha256(image));
    expect(events.at(-1)).toMatchObject({ status: 206, bytes: SIZE - (20 * MiB + 123), outcome: 'completed' });
  });

  it('answers curl -C - on a complete file with 416, which curl takes as done', async () => {
    const out = join(dir, 'complete.img');
    copyFileSync(image, out);
    const { stdout } = await run('curl', ['-sS', '-C', '-', '-o', out, '-w', '%{http_code}', url]);
    expect(stdout).toBe('416');
    expect(await sha256(out)).toBe(await sha256(image));
  });
});
