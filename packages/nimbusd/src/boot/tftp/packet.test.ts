import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../../test/support/seeded-random.ts';
import { TftpEncodeError, TftpPacketError, type TftpPacketFault } from './errors.ts';
import {
  encodeAck,
  encodeData,
  encodeError,
  encodeOack,
  encodePacket,
  encodeRequest,
  MAX_BLOCK_SIZE,
  parsePacket,
  type TftpPacket,
} from './packet.ts';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('TFTP packets: round trips', () => {
  const packets: TftpPacket[] = [
    { kind: 'rrq', filename: 'undionly.kpxe', mode: 'octet', options: new Map() },
    { kind: 'rrq', filename: 'efi/ipxe.efi', mode: 'netascii', options: new Map([['blksize', '1468'], ['tsize', '0'], ['windowsize', '16'], ['timeout', '3']]) },
    { kind: 'wrq', filename: 'upload.bin', mode: 'octet', options: new Map([['multicast', '']]) },
    { kind: 'rrq', filename: 'ünïcode/файл', mode: 'octet', options: new Map() },
    { kind: 'data', block: 1, data: Buffer.from('hello') },
    { kind: 'data', block: 65_535, data: Buffer.alloc(MAX_BLOCK_SIZE, 7) },
    { kind: 'data', block: 0, data: Buffer.alloc(0) },
    { kind: 'ack', block: 0 },
    { kind: 'ack', block: 65_535 },
    { kind: 'error', errorCode: 1, message: 'File not found' },
    { kind: 'error', errorCode: 8, message: '' },
    { kind: 'oack', options: new Map([['blksize', '1468'], ['tsize', '75347']]) },
    { kind: 'oack', options: new Map() },
  ];

  it.each(packets.map((p) => [p.kind, p] as const))('%s survives encode → parse', (_kind, packet) => {
    const decoded = parsePacket(encodePacket(packet));
    if (packet.kind === 'data' && decoded.kind === 'data') {
      expect(decoded.block).toBe(packet.block);
      expect(Buffer.from(decoded.data).equals(Buffer.from(packet.data))).toBe(true);
    } else {
      expect(decoded).toEqual(packet);
    }
  });

  it('encodes the RFC 1350 / 2347 wire format byte for byte', () => {
    expect(encodeRequest({ kind: 'rrq', filename: 'a', mode: 'octet', options: new Map([['blksize', '1468']]) })).toEqual(
      bytes([0, 1], 'a\0octet\0blksize\x001468\0'),
    );
    expect(encodeData(258, Buffer.from('xy'))).toEqual(bytes([0, 3, 1, 2], 'xy'));
    expect(encodeAck(65_535)).toEqual(bytes([0, 4, 255, 255]));
    expect(encodeError(2, 'no')).toEqual(bytes([0, 5, 0, 2], 'no\0'));
    expect(encodeOack(new Map([['tsize', '9']]))).toEqual(bytes([0, 6], 'tsize\x009\0'));
  });

  it('lower-cases mode and option names (case-insensitive by RFC 1350 and 2347), keeping values as sent', () => {
    const parsed = parsePacket(bytes([0, 1], 'f\0OcTeT\0BLKSIZE\x00512\0X-Vendor\0Some Value\0'));
    expect(parsed).toEqual({ kind: 'rrq', filename: 'f', mode: 'octet', options: new Map([['blksize', '512'], ['x-vendor', 'Some Value']]) });
  });

  it('takes an ERROR whose message lacks its NUL (some clients send that)', () => {
    expect(parsePacket(bytes([0, 5, 0, 0], 'bye'))).toEqual({ kind: 'error', errorCode: 0, message: 'bye' });
  });

  it('refuses to encode what the wire cannot carry', () => {
    expect(() => encodeData(65_536, Buffer.alloc(0))).toThrow(TftpEncodeError);
    expect(() => encodeData(1, Buffer.alloc(MAX_BLOCK_SIZE + 1))).toThrow(TftpEncodeError);
    expect(() => encodeRequest({ kind: 'rrq', filename: 'a\0b', mode: 'octet' })).toThrow(TftpEncodeError);
  });
});

describe('TFTP packets: malformed input', () => {
  const cases: [string, Buffer, TftpPacketFault, number][] = [
    ['empty datagram', bytes(), 'truncated', 0],
    ['one byte', bytes([0]), 'truncated', 0],
    ['opcode 0', bytes([0, 0, 1, 2]), 'unknown-opcode', 0],
    ['opcode 7', bytes([0, 7]), 'unknown-opcode', 0],
    ['opcode 0x0101', bytes([1, 1], 'f\0octet\0'), 'unknown-opcode', 0],
    ['RRQ with no filename', bytes([0, 1]), 'truncated', 2],
    ['RRQ filename without NUL', bytes([0, 1], 'boot.img'), 'unterminated-string', 2],
    ['RRQ with no mode', bytes([0, 1], 'boot.img\0'), 'truncated', 11],
    ['RRQ mode without NUL', bytes([0, 1], 'f\0octet'), 'unterminated-string', 4],
    ['RRQ empty filename', bytes([0, 1], '\0octet\0'), 'empty-filename', 2],
    ['RRQ filename not UTF-8', bytes([0, 1], [0xff, 0xfe, 0], 'octet\0'), 'bad-filename', 2],
    ['RRQ unknown mode', bytes([0, 1], 'f\0binary\0'), 'unknown-mode', 4],
    ['RRQ NUL inside the name makes the rest the mode', bytes([0, 1], 'ipxe.efi\0../../etc/passwd\0octet\0'), 'unknown-mode', 11],
    ['RRQ option without value', bytes([0, 1], 'f\0octet\0blksize\0'), 'odd-option-list', 10],
    ['RRQ option value without NUL', bytes([0, 1], 'f\0octet\0blksize\x001468'), 'unterminated-string', 18],
    ['RRQ empty option name', bytes([0, 1], 'f\0octet\0\x001\0'), 'empty-option-name', 10],
    ['RRQ option given twice', bytes([0, 1], 'f\0octet\0tsize\x000\0TSIZE\x000\0'), 'duplicate-option', 18],
    ['RRQ non-numeric blksize', bytes([0, 1], 'f\0octet\0blksize\0big\0'), 'bad-option-value', 18],
    ['RRQ negative timeout', bytes([0, 1], 'f\0octet\0timeout\0-1\0'), 'bad-option-value', 18],
    ['RRQ empty windowsize', bytes([0, 1], 'f\0octet\0windowsize\0\0'), 'bad-option-value', 21],
    ['RRQ tsize "enable" (atftp --option "tsize enable")', bytes([0, 1], 'f\0octet\0tsize\0enable\0'), 'bad-option-value', 16],
    ['RRQ huge number', bytes([0, 1], 'f\0octet\0blksize\x001234567890123456\0'), 'bad-option-value', 18],
    ['RRQ over 512 bytes', bytes([0, 1], `${'a'.repeat(600)}\0octet\0`), 'oversized', 512],
    ['WRQ filename without NUL', bytes([0, 2], 'up'), 'unterminated-string', 2],
    ['DATA without block number', bytes([0, 3, 0]), 'truncated', 2],
    ['DATA over 65464 bytes', Buffer.concat([bytes([0, 3, 0, 1]), Buffer.alloc(MAX_BLOCK_SIZE + 1)]), 'oversized', 4],
    ['ACK without block number', bytes([0, 4]), 'truncated', 2],
    ['ACK with a trailing byte', bytes([0, 4, 0, 1, 0]), 'trailing-bytes', 4],
    ['ERROR without code', bytes([0, 5, 0]), 'truncated', 2],
    ['ERROR with bytes after the NUL', bytes([0, 5, 0, 1], 'x\0junk'), 'trailing-bytes', 6],
    ['OACK option without value', bytes([0, 6], 'blksize\0'), 'odd-option-list', 2],
    ['OACK non-numeric tsize', bytes([0, 6], 'tsize\0x\0'), 'bad-option-value', 8],
  ];

  it.each(cases)('%s → TftpPacketError %s at byte %i', (_what, datagram, fault, offset) => {
    let caught: unknown;
    try {
      parsePacket(datagram);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TftpPacketError);
    const error = caught as TftpPacketError;
    expect({ fault: error.fault, offset: error.offset, code: error.code }).toEqual({ fault, offset, code: 'TFTP_PACKET' });
    expect(error.message).toContain(`at byte ${offset}`);
  });

  it('keeps control characters and long strings out of its messages', () => {
    const datagram = bytes([0, 1], 'f\0', `oc\ntet${'x'.repeat(300)}`, '\0');
    expect(() => parsePacket(datagram)).toThrow(TftpPacketError);
    try {
      parsePacket(datagram);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
      expect((err as Error).message.length).toBeLessThan(200);
    }
  });

  it('throws nothing but TftpPacketError on 20,000 random and mutated datagrams (seeded)', () => {
    // Seeded, so a failure can be replayed.
    const rng = new SeededRandom(0x5eed);
    const random = (): number => rng.next();
    const seeds = [
      encodeRequest({ kind: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: new Map([['blksize', '1468'], ['tsize', '0'], ['windowsize', '8']]) }),
      encodeData(7, Buffer.from('payload')),
      encodeAck(3),
      encodeError(1, 'nope'),
      encodeOack(new Map([['blksize', '512']])),
    ];
    let parsed = 0;
    for (let i = 0; i < 20_000; i++) {
      let datagram: Buffer;
      if (i % 2 === 0) {
        datagram = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
        if (random() < 0.7 && datagram.length >= 2) datagram[0] = 0; // mostly plausible opcodes
      } else {
        datagram = Buffer.from(seeds[i % seeds.length]!);
        for (let m = 0; m < 1 + random() * 4; m++) {
          const at = Math.floor(random() * datagram.length);
          const r = random();
          if (r < 0.5) datagram[at] = Math.floor(random() * 256);
          else if (r < 0.75) datagram = datagram.subarray(0, at);
          else datagram = Buffer.concat([datagram, Buffer.from([random() < 0.5 ? 0 : 0x41])]);
        }
      }
      try {
        parsePacket(datagram);
        parsed += 1;
      } catch (err) {
        if (!(err instanceof TftpPacketError)) throw new Error(`datagram ${datagram.toString('hex')} threw ${String(err)}`);
      }
    }
    // Some mutations stay valid; most do not. Both paths ran.
    expect(parsed).toBeGreaterThan(100);
    expect(parsed).toBeLessThan(19_000);
  });
});
