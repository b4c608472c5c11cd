import { describe, expect, it } from 'vitest';
import { decodeUtf8, firstInvalidOffset } from './utf8.ts';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));

describe('decodeUtf8', () => {
  it('decodes valid text and drops a leading BOM', () => {
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'a = "é"\n'))).toEqual({ ok: true, text: 'a = "é"\n' });
  });

  it('locates a stray byte on line 3 by line and column', () => {
    expect(decodeUtf8(bytes('a = 1\nb = 2\nc = "x', [0xff], '"\n'))).toEqual({ ok: false, line: 3, col: 7, byte: 0xff });
  });

  it('counts the column in characters, not bytes', () => {
    // "é" is two bytes but one column; "😀" is four bytes and two UTF-16 units, as editors count.
    expect(decodeUtf8(bytes('x = "é😀', [0xc0, 0x80]))).toMatchObject({ ok: false, line: 1, col: 9 });
  });

  it('does not count a BOM as a column on line 1', () => {
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'ab', [0x80]))).toMatchObject({ ok: false, line: 1, col: 3 });
  });

  it('points at the lead byte of a sequence cut short', () => {
    expect(decodeUtf8(bytes('ok\n€', [0xe2, 0x82]))).toMatchObject({ ok: false, line: 2, col: 2, byte: 0xe2 });
  });
});

describe('firstInvalidOffset', () => {
  it.each([
    ['an overlong encoding', [0x41, 0xc1, 0xbf], 1],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80], 0],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a lone continuation byte', [0x41, 0x42, 0x80], 2],
    ['a four-byte character then a bad byte', [0xf0, 0x9f, 0x98, 0x80, 0xfe], 4],
  ])('finds %s', (_why, input, offset) => {
    expect(firstInvalidOffset(Uint8Array.from(input))).toBe(offset);
  });

  it('returns the length for valid input', () => {
    expect(firstInvalidOffset(bytes('héllo €'))).toBe(10);
  });
});
