import { describe, expect, it } from 'vitest';
import { encodeNetascii } from './netascii.ts';

const encode = (text: string): string => Buffer.from(encodeNetascii(Buffer.from(text, 'latin1'))).toString('latin1');

describe('netascii encoding (RFC 1350 / RFC 764)', () => {
  it.each([
    ['plain', 'abc', 'abc'],
    ['LF → CR LF', 'a\nb\n', 'a\r\nb\r\n'],
    ['bare CR → CR NUL', 'a\rb', 'a\r\0b'],
    ['CR LF already → CR NUL CR LF', 'a\r\n', 'a\r\0\r\n'],
    ['only line ends', '\n\n\r', '\r\n\r\n\r\0'],
    ['empty', '', ''],
  ])('%s', (_what, input, output) => {
    expect(encode(input)).toBe(output);
  });

  it('encodes chunk by chunk exactly as in one piece (no state between chunks)', () => {
    const text = 'one\ntwo\rthree\r\nfour\n';
    const whole = encode(text);
    for (let cut = 0; cut <= text.length; cut++) expect(encode(text.slice(0, cut)) + encode(text.slice(cut))).toBe(whole);
  });
});
