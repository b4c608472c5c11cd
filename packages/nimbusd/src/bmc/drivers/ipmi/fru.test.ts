import { describe, expect, it } from 'vitest';
import { BmcProtocolError } from '../../errors.ts';
import type { CommandChannel } from './commands.ts';
import { decodeFru, readFru } from './fru.ts';

/** Sets the last byte so the bytes sum to zero, as every FRU header and area does. */
function sealed(hex: string): Buffer {
  const b = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  b[b.length - 1] = (0x100 - (b.subarray(0, -1).reduce((a, x) => a + x, 0) & 0xff)) & 0xff;
  return b;
}

// Header: version 1, board area at 8, product area at 32.
const HEADER = sealed('01 00 00 01 04 00 00 00');
// Board, 24 bytes: "Acme" (8-bit), "IPMI" (6-bit packed: 29 dc a6), serial "12-3" (BCD plus: 12 b3), empty part number.
const BOARD = sealed('01 03 19 000000 c4 41636d65 83 29dca6 42 12b3 c0 c1 000000 00');
// Product, 24 bytes: "Acme", "Box", no part number, version "v2", serial "X9 " (trailing space dropped), end.
const PRODUCT = sealed('01 03 19 c4 41636d65 c3 426f78 c0 c2 7632 c3 583920 c1 0000 00');
const FRU = Buffer.concat([HEADER, BOARD, PRODUCT]);

describe('decodeFru', () => {
  it('decodes the board and product areas, 8-bit, 6-bit packed and BCD plus fields', () => {
    expect(decodeFru(FRU)).toEqual({
      board: { manufacturer: 'Acme', product: 'IPMI', serial: '12-3' },
      product: { manufacturer: 'Acme', name: 'Box', version: 'v2', serial: 'X9' },
    });
  });

  it('leaves out areas the header does not point to', () => {
    const header = sealed('01 00 00 00 01 00 00 00');
    expect(decodeFru(Buffer.concat([header, PRODUCT]))).toEqual({ product: { manufacturer: 'Acme', name: 'Box', version: 'v2', serial: 'X9' } });
  });

  it.each([
    ['a short header', FRU.subarray(0, 5), /shorter than its 8-byte header/],
    ['a bad header checksum', Buffer.concat([Buffer.from('0100000104000001', 'hex'), BOARD, PRODUCT]), /header fails its checksum/],
    ['a bad board checksum', Buffer.concat([HEADER, Buffer.from(BOARD).fill(0x7f, 23), PRODUCT]), /board area at byte 8 fails its checksum/],
    ['an area past the data', FRU.subarray(0, 40), /product area at byte 32 claims 24 bytes, but the FRU data has 40/],
    ['a field past its area', Buffer.concat([HEADER, sealed('01 03 19 000000 df 41636d65 000000000000000000000000 00'), PRODUCT]), /board area at byte 8: field at byte 14 runs past the area/],
  ])('rejects %s with BmcProtocolError saying where', (_name, bytes, message) => {
    const error = (() => { try { return decodeFru(bytes); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(BmcProtocolError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('readFru', () => {
  it('reads the header and both areas in small pieces and decodes them', async () => {
    const reads: string[] = [];
    const device = Buffer.concat([FRU, Buffer.alloc(200, 0xff)]);
    const ch: CommandChannel = {
      async command(netFn, cmd, data) {
        expect(netFn).toBe(0x0a);
        if (cmd === 0x10) return Buffer.from([device.length & 0xff, device.length >> 8, 0]);
        const offset = data[1]! | (data[2]! << 8);
        reads.push(`${offset}+${data[3]}`);
        const bytes = device.subarray(offset, offset + data[3]!);
        return Buffer.concat([Uint8Array.of(bytes.length), bytes]);
      },
    };
    expect(await readFru(ch)).toEqual(decodeFru(FRU));
    expect(reads).toEqual(['0+8', '8+2', '8+16', '24+8', '32+2', '32+16', '48+8']); // never the unused 200 bytes
  });
});
