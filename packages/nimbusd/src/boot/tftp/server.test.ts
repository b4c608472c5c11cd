/**
 * The server's protocol behaviour against a scripted peer on loopback: the cases a real
 * client does not produce on demand (lost and duplicate ACKs, a wrong TID, a client that
 * goes away, a declined OACK). Real clients are in clients.test.ts.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/index.ts';
import { TftpConfigError } from './errors.ts';
import { encodeAck, encodeError, encodeRequest, TFTP_ERROR, type TftpPacket } from './packet.ts';
import type { TftpEvent, TftpServerOptions, TftpTransferEvent } from './server-options.ts';
import { TftpServer } from './server.ts';
import { RawClient, type Received } from './testdata/raw-client.ts';

const root = mkdtempSync(join(tmpdir(), 'tftp-server-'));
const patterned = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
const FILE_3K = patterned(3 * 512 + 100);
const FILE_WRAP = patterned((65_536 + 10) * 8 + 3); // 65,547 blocks of 8 bytes: block numbers wrap
writeFileSync(join(root, 'small.bin'), FILE_3K);
writeFileSync(join(root, 'wrap.bin'), FILE_WRAP);
writeFileSync(join(root, 'text.txt'), 'a\nb\rc');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const open: { servers: TftpServer[]; clients: RawClient[] } = { servers: [], clients: [] };
afterEach(async () => {
  await Promise.all(open.clients.splice(0).map((c) => c.close()));
  await Promise.all(open.servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<TftpServerOptions> = {}): Promise<{ server: TftpServer; port: number; events: TftpEvent[]; ended: Promise<TftpTransferEvent> }> {
  const events: TftpEvent[] = [];
  let onTransfer: (e: TftpTransferEvent) => void = () => undefined;
  const ended = new Promise<TftpTransferEvent>((resolve) => (onTransfer = resolve));
  const server = await TftpServer.listen({
    root,
    host: '127.0.0.1',
    port: 0,
    ...options,
    limits: { retransmitMs: 5_000, ...options.limits },
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'transfer') onTransfer(e);
    },
  });
  open.servers.push(server);
  return { server, port: server.address.port, events, ended };
}

async function client(): Promise<RawClient> {
  const c = await RawClient.open();
  open.clients.push(c);
  return c;
}

function rrq(filename: string, options: [string, string][] = [], mode: 'octet' | 'netascii' = 'octet'): Buffer {
  return encodeRequest({ kind: 'rrq', filename, mode, options: new Map(options) });
}

function expectData(r: Received, block: number, length?: number): Extract<TftpPacket, { kind: 'data' }> {
  expect(r.packet.kind).toBe('data');
  const data = r.packet as Extract<TftpPacket, { kind: 'data' }>;
  expect(data.block).toBe(block);
  if (length !== undefined) expect(data.data.length).toBe(length);
  return data;
}

describe('TftpServer protocol', () => {
  it('sends a file in lock-step from a new port (the TID) and reports it', async () => {
    const { port, ended } = await start();
    const c = await client();
    await c.send(rrq('small.bin'), port);
    const chunks: Uint8Array[] = [];
    let tid = 0;
    for (let block = 1; ; block++) {
      const r = await c.next();
      if (tid === 0) tid = r.from.port;
      expect(r.from.port).toBe(tid);
      chunks.push(expectData(r, block).data);
      await c.send(encodeAck(block), tid);
      if ((r.packet as { data: Uint8Array }).data.length < 512) break;
    }
    expect(tid).not.toBe(port);
    expect(Buffer.concat(chunks).equals(FILE_3K)).toBe(true);
    const event = await ended;
    expect(event).toMatchObject({ outcome: 'complete', file: 'small.bin', mode: 'octet', bytes: FILE_3K.length, blockSize: 512, windowSize: 1, retransmissions: 0 });
  });

  it('answers options with an OACK, then sends windows, and goes back on a partial ACK (RFC 7440)', async () => {
    const { port, ended } = await start();
    const c = await client();
    await c.send(rrq('small.bin', [['blksize', '256'], ['tsize', '0'], ['windowsize', '4'], ['x-unknown', '1']]), port);
    const oack = await c.next();
    expect(oack.packet).toEqual({ kind: 'oack', options: new Map([['blksize', '256'], ['tsize', String(FILE_3K.length)], ['windowsize', '4']]) });
    const tid = oack.from.port;
    await c.send(encodeAck(0), tid);
    for (const block of [1, 2, 3, 4]) expectData(await c.next(), block, 256);
    // Blocks 3 and 4 "lost": the client acknowledges 2, the server resumes at 3.
    await c.send(encodeAck(2), tid);
    for (const block of [3, 4, 5, 6]) expectData(await c.next(), block, 256);
    await c.send(encodeAck(6), tid);
    const tail: Uint8Array[] = [];
    for (const block of [7]) tail.push(expectData(await c.next(), block, 100).data);
    await c.send(encodeAck(7), tid);
    expect(Buffer.from(tail[0]!).equals(FILE_3K.subarray(6 * 256))).toBe(true);
    expect(await ended).toMatchObject({ outcome: 'complete', bytes: FILE_3K.length, blockSize: 256, windowSize: 4 });
  });

  it('ignores duplicate ACKs instead of resending (no Sorcerer\'s Apprentice)', async () => {
    const { port } = await start();
    const c = await client();
    await c.send(rrq('small.bin'), port);
    const first = await c.next();
    expectData(first, 1);
    await c.send(encodeAck(1), first.from.port);
    expectData(await c.next(), 2);
    await c.send(encodeAck(1), first.from.port); // duplicate
    await c.send(encodeAck(1), first.from.port); // and again
    await c.send(encodeAck(2), first.from.port);
    // Had a duplicate been answered, block 2 would come again before block 3.
    expectData(await c.next(), 3);
  });

  it('resends the window from the last acknowledged block when no ACK comes', async () => {
    const { port } = await start({ limits: { retransmitMs: 300 } });
    const c = await client();
    await c.send(rrq('small.bin', [['windowsize', '2']]), port);
    const oack = await c.next();
    await c.send(encodeAck(0), oack.from.port);
    for (const block of [1, 2]) expectData(await c.next(), block);
    // No ACK: the same window again.
    for (const block of [1, 2]) expectData(await c.next(), block);
    await c.send(encodeAck(2), oack.from.port);
    for (const block of [3, 4]) expectData(await c.next(), block);
  });

  it('goes back once on an ACK for blocks never sent, and ignores the same ACK again', async () => {
    const { port } = await start();
    const c = await client();
    await c.send(rrq('small.bin', [['windowsize', '2']]), port);
    const oack = await c.next();
    await c.send(encodeAck(0), oack.from.port);
    for (const block of [1, 2]) expectData(await c.next(), block);
    await c.send(encodeAck(9), oack.from.port);
    for (const block of [1, 2]) expectData(await c.next(), block);
    await c.send(encodeAck(9), oack.from.port);
    await c.send(encodeAck(2), oack.from.port);
    // A second go-back would put blocks 1 and 2 before these.
    for (const block of [3, 4]) expectData(await c.next(), block);
  });

  it('gives up on a client that stops ACKing after its retries, and frees the transfer', async () => {
    const { server, port, ended } = await start({ limits: { retransmitMs: 20, maxRetransmitMs: 40, maxRetries: 3 } });
    const c = await client();
    await c.send(rrq('small.bin'), port);
    const event = await ended;
    expect(event).toMatchObject({ outcome: 'timeout', bytes: 0, retransmissions: 3 });
    expect(event.detail).toContain('block 1');
    expect(server.activeTransfers).toBe(0);
    const copies = c.drain().filter((r) => r.packet.kind === 'data' && r.packet.block === 1);
    expect(copies.length).toBe(4); // the first send and 3 retransmissions
  });

  it('answers a wrong TID with ERROR 5 and carries on with the right one', async () => {
    const { port, ended } = await start();
    const c = await client();
    const stranger = await client();
    await c.send(rrq('small.bin'), port);
    const first = await c.next();
    await stranger.send(encodeAck(1), first.from.port);
    expect((await stranger.next()).packet).toMatchObject({ kind: 'error', errorCode: TFTP_ERROR.unknownTransferId });
    for (let block = 1; block <= 4; block++) {
      if (block > 1) expectData(await c.next(), block);
      await c.send(encodeAck(block), first.from.port);
    }
    expect(await ended).toMatchObject({ outcome: 'complete', bytes: FILE_3K.length });
  });

  it('ends quietly when the client answers the OACK with ERROR 8', async () => {
    const { port, ended } = await start({ limits: { retransmitMs: 30 } });
    const c = await client();
    await c.send(rrq('small.bin', [['blksize', '1024']]), port);
    const oack = await c.next();
    expect(oack.packet.kind).toBe('oack');
    await c.send(encodeError(TFTP_ERROR.optionsRefused, 'no thanks'), oack.from.port);
    const event = await ended;
    expect(event.outcome).toBe('options-refused');
    expect(event.detail).toContain('no thanks');
    // Nothing is sent back: not an ERROR, not an OACK retransmission.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(c.drain()).toEqual([]);
  });

  it('wraps block numbers past 65535 to 0 and keeps going', async () => {
    const { port, ended } = await start();
    const c = await client();
    await c.send(rrq('wrap.bin', [['blksize', '8'], ['windowsize', '64']]), port);
    const oack = await c.next();
    await c.send(encodeAck(0), oack.from.port);
    const chunks: Uint8Array[] = [];
    const seenAroundWrap: number[] = [];
    let expected = 1;
    for (;;) {
      const data = expectData(await c.next(), expected & 0xffff);
      if (expected >= 65_534 && expected <= 65_538) seenAroundWrap.push(data.block);
      chunks.push(data.data);
      const last = data.data.length < 8;
      if (last || expected % 64 === 0) await c.send(encodeAck(expected & 0xffff), oack.from.port);
      if (last) break;
      expected += 1;
    }
    expect(seenAroundWrap).toEqual([65_534, 65_535, 0, 1, 2]);
    expect(Buffer.concat(chunks).equals(FILE_WRAP)).toBe(true);
    expect(await ended).toMatchObject({ outcome: 'complete', bytes: FILE_WRAP.length });
  });

  it('converts to netascii and leaves tsize unanswered in that mode', async () => {
    const { port } = await start();
    const c = await client();
    await c.send(rrq('text.txt', [['tsize', '0']], 'netascii'), port);
    const r = await c.next();
    expect(Buffer.from(expectData(r, 1).data).toString('latin1')).toBe('a\r\nb\r\0c');
  });

  it('takes a resent RRQ for the transfer already under way, not for a second one', async () => {
    const { port, events } = await start();
    const c = await client();
    const request = rrq('small.bin');
    await c.send(request, port);
    await c.send(request, port);
    const first = await c.next();
    for (let block = 1; block <= 4; block++) {
      const r = block === 1 ? first : await c.next();
      expect(r.from.port).toBe(first.from.port);
      expectData(r, block);
      await c.send(encodeAck(block), first.from.port);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(c.drain()).toEqual([]);
    expect(events.filter((e) => e.type === 'transfer')).toHaveLength(1);
  });

  it.each([
    ['the server', { maxTransfers: 2, maxTransfersPerClient: 10 }, '2 transfers in progress'],
    ['one client', { maxTransfers: 10, maxTransfersPerClient: 2 }, 'from 127.0.0.1'],
  ])('refuses a request beyond the limit of %s with ERROR 0 "server busy"', async (_what, limits, why) => {
    const { server, port, events } = await start({ limits });
    const holders = [await client(), await client()];
    for (const h of holders) {
      await h.send(rrq('small.bin'), port);
      expectData(await h.next(), 1);
    }
    expect(server.activeTransfers).toBe(2);
    const late = await client();
    await late.send(rrq('small.bin'), port);
    const refused = (await late.next()).packet;
    expect(refused).toMatchObject({ kind: 'error', errorCode: TFTP_ERROR.notDefined });
    expect((refused as { message: string }).message).toContain('server busy');
    expect((refused as { message: string }).message).toContain(why);
    expect(events).toContainEqual(expect.objectContaining({ type: 'transfer', outcome: 'busy' }));
  });

  it('refuses writes and stray packets at the listening port, and never answers an ERROR', async () => {
    const { port, events } = await start();
    const c = await client();
    await c.send(encodeRequest({ kind: 'wrq', filename: 'upload.bin', mode: 'octet' }), port);
    expect((await c.next()).packet).toMatchObject({ kind: 'error', errorCode: TFTP_ERROR.accessViolation });
    await c.send(encodeAck(1), port);
    expect((await c.next()).packet).toMatchObject({ kind: 'error', errorCode: TFTP_ERROR.illegalOperation });
    await c.send(encodeError(0, 'hello'), port);
    await c.send(Buffer.from('\x00\x01small.bin\x00binary\x00', 'latin1'), port); // an unknown mode
    expect((await c.next()).packet).toMatchObject({ kind: 'error', errorCode: TFTP_ERROR.illegalOperation });
    await c.send(encodeRequest({ kind: 'rrq', filename: 'small.bin', mode: 'mail' }), port);
    expect((await c.next()).packet).toMatchObject({ kind: 'error', errorCode: TFTP_ERROR.illegalOperation, message: 'mail mode is not supported; use octet' });
    expect(c.drain()).toEqual([]);
    expect(events.map((e) => (e.type === 'transfer' ? e.outcome : e.fault))).toEqual(['write-refused', 'unknown-mode', 'unsupported-mode']);
  });

  it('reports every malformed datagram but logs them rate-limited', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    const { port, events } = await start({ logger, limits: { malformedLogBurst: 3, malformedLogIntervalMs: 1_000 } });
    const c = await client();
    for (let i = 0; i < 20; i++) await c.send(Buffer.from([0, 9, i]), port);
    await c.send(Buffer.from([0, 1, 0x41]), port); // an RRQ that does not parse is answered
    const answer = (await c.next()).packet;
    expect(answer).toMatchObject({ kind: 'error', errorCode: TFTP_ERROR.illegalOperation });
    expect((answer as { message: string }).message).toContain('unterminated-string at byte 2');
    expect(events.filter((e) => e.type === 'malformed')).toHaveLength(21);
    expect(lines.filter((l) => l['fault'] !== undefined)).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await c.send(Buffer.from([0xff]), port);
    await c.send(rrq('small.bin'), port); // still serving: a DATA packet proves the datagram above was handled
    expectData(await c.next(), 1);
    expect(lines.filter((l) => l['fault'] !== undefined).at(-1)).toMatchObject({ fault: 'truncated', suppressed: 18 });
  });

  it('ends running transfers with ERROR 0 on close()', async () => {
    const { server, port, ended } = await start();
    const c = await client();
    await c.send(rrq('small.bin'), port);
    expectData(await c.next(), 1);
    await server.close();
    expect((await c.next()).packet).toMatchObject({ kind: 'error', errorCode: 0, message: 'server shutting down' });
    expect((await ended).outcome).toBe('server-closed');
    expect(server.activeTransfers).toBe(0);
  });

  it('will not start with a bad option or a port in use', async () => {
    await expect(TftpServer.listen({ root, port: 0, host: '127.0.0.1', maxBlockSize: 4 })).rejects.toThrow(TftpConfigError);
    await expect(TftpServer.listen({ root, port: 0, host: '127.0.0.1', maxWindowSize: 0 })).rejects.toThrow(TftpConfigError);
    await expect(TftpServer.listen({ root, port: 0, host: '127.0.0.1', limits: { maxTransfers: 0 } })).rejects.toThrow(TftpConfigError);
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()));
    try {
      await expect(TftpServer.listen({ root, host: '127.0.0.1', port: taken.address().port })).rejects.toThrow(/cannot bind TFTP/);
    } finally {
      taken.close();
    }
  });
});
