/**
 * Thousands of random and mutated datagrams at the listening port and at the ports of the
 * transfers they happen to start; then a good transfer must still succeed byte for byte.
 * Seeded, so a failure replays; bounded in count and in time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../../test/support/seeded-random.ts';
import { encodeAck, encodeData, encodeError, encodeOack, encodeRequest, parsePacket } from './packet.ts';
import type { TftpEvent } from './server-options.ts';
import { TftpServer } from './server.ts';
import { atftpGet, missingPrograms } from './testdata/clients.ts';
import { fetchLockStep } from './testdata/raw-client.ts';

const DATAGRAMS = 6_000;
const BUDGET_MS = 15_000;
const SEED = 0x7f7f_2024;

const root = mkdtempSync(join(tmpdir(), 'tftp-fuzz-'));
const BOOT_FILE = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 73 + (i >> 9)) & 0xff));
const events: TftpEvent[] = [];
let server: TftpServer;
let port: number;

beforeAll(async () => {
  writeFileSync(join(root, 'ipxe.efi'), BOOT_FILE);
  writeFileSync(join(root, 'small.txt'), 'tiny\n');
  server = await TftpServer.listen({
    root,
    host: '127.0.0.1',
    port: 0,
    // Short retransmissions so the transfers the fuzzer starts (and never ACKs) end quickly.
    limits: { retransmitMs: 20, maxRetransmitMs: 40, maxRetries: 2, maxTransfersPerClient: 16 },
    onEvent: (e) => void events.push(e),
  });
  port = server.address.port;
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const SEEDS: Buffer[] = [
  encodeRequest({ kind: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: new Map([['blksize', '1468'], ['tsize', '0'], ['windowsize', '16'], ['timeout', '1']]) }),
  encodeRequest({ kind: 'rrq', filename: 'small.txt', mode: 'netascii' }),
  encodeRequest({ kind: 'rrq', filename: '../../etc/passwd', mode: 'octet' }),
  Buffer.from('\x00\x01missing\x00OCTET\x00BlkSize\x0099999\x00', 'latin1'),
  encodeRequest({ kind: 'wrq', filename: 'up', mode: 'octet' }),
  encodeAck(1),
  encodeAck(0),
  encodeData(1, Buffer.from('data')),
  encodeError(8, 'refused'),
  encodeOack(new Map([['blksize', '512']])),
];

function mutate(random: () => number, input: Buffer): Buffer {
  let out = Buffer.from(input);
  const steps = 1 + Math.floor(random() * 4);
  for (let i = 0; i < steps; i++) {
    const at = Math.floor(random() * (out.length + 1));
    const r = random();
    if (r < 0.35 && out.length > 0) out[Math.min(at, out.length - 1)] = Math.floor(random() * 256);
    else if (r < 0.55) out = out.subarray(0, at);
    else if (r < 0.75) out = Buffer.concat([out.subarray(0, at), Buffer.from([random() < 0.5 ? 0 : Math.floor(random() * 256)]), out.subarray(at)]);
    else if (r < 0.9) out = Buffer.concat([out, out.subarray(0, Math.floor(random() * out.length))]);
    else out = Buffer.concat([out.subarray(0, at), Buffer.from('\0\0\0')]);
  }
  return out;
}

function datagram(random: () => number, i: number): Buffer {
  const r = random();
  if (r < 0.25) return Buffer.from(Array.from({ length: Math.floor(random() * 48) }, () => Math.floor(random() * 256)));
  // Up to 65,000 bytes: past every size limit the parser has.
  if (r < 0.3) return Buffer.concat([Buffer.from([0, 1 + (i % 6)]), Buffer.alloc(Math.floor(random() * 65_000), 0x41)]);
  const seed = SEEDS[Math.floor(random() * SEEDS.length)]!;
  return random() < 0.1 ? Buffer.from(seed) : mutate(random, seed);
}

async function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

describe('TftpServer under fuzzing', () => {
  it(`survives ${DATAGRAMS.toLocaleString('en')} random and mutated datagrams (seed ${SEED.toString(16)}), then still serves`, { timeout: 60_000 }, async () => {
    const rng = new SeededRandom(SEED);
    const random = (): number => rng.next();
    const senders = await Promise.all([bound(), bound(), bound(), bound()]);
    const transferPorts = new Set<number>();
    const unparsable: string[] = [];
    for (const s of senders) {
      s.on('message', (msg, from) => {
        try {
          parsePacket(msg);
        } catch {
          unparsable.push(msg.toString('hex'));
        }
        if (from.port !== port) transferPorts.add(from.port);
      });
    }
    const started = performance.now();
    let sent = 0;
    try {
      for (; sent < DATAGRAMS && performance.now() - started < BUDGET_MS; sent++) {
        const bytes = datagram(random, sent);
        const tids = [...transferPorts];
        const to = tids.length > 0 && random() < 0.25 ? tids[Math.floor(random() * tids.length)]! : port;
        const sender = senders[sent % senders.length]!;
        await new Promise<void>((resolve) => sender.send(bytes, to, '127.0.0.1', () => resolve()));
        // Send callbacks alone never let the event loop poll for input, and the kernel drops what
        // does not fit the receive buffer: yield now and then so the server reads what was sent.
        if (sent % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
      }
      // The fuzzer's transfers time out on their own; wait (bounded) until none is left.
      const drainBy = performance.now() + 10_000;
      while (server.activeTransfers > 0 && performance.now() < drainBy) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await Promise.all(senders.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }

    expect(sent).toBeGreaterThan(1_000);
    expect(unparsable).toEqual([]);
    expect(server.activeTransfers).toBe(0);
    const malformed = events.filter((e) => e.type === 'malformed').length;
    const transfers = events.filter((e) => e.type === 'transfer');
    console.info(`fuzz: ${sent} datagrams sent, ${malformed} reported malformed, ${transfers.length} requests answered, ${transferPorts.size} transfer ports hit`);
    expect(malformed).toBeGreaterThan(sent / 4);
    // Some mutated RRQs were good enough to start transfers at which the fuzzer then aimed too.
    expect(transfers.length).toBeGreaterThan(10);
    expect(transferPorts.size).toBeGreaterThan(0);

    expect((await fetchLockStep(port, 'ipxe.efi')).equals(BOOT_FILE)).toBe(true);
  });

  it.skipIf(missingPrograms('atftp') !== undefined)(`serves atftp after the fuzzing${missingPrograms('atftp') ? ` (skipped: ${missingPrograms('atftp')})` : ''}`, async () => {
    const local = join(root, 'fetched.efi');
    const run = await atftpGet({ host: '127.0.0.1', port }, 'ipxe.efi', local, ['blksize 1468', 'windowsize 16']);
    expect(run.status).toBe(0);
    expect(readFileSync(local).equals(BOOT_FILE)).toBe(true);
  });
});
