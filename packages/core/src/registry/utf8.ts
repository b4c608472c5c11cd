/**
 * Decoding provider files: UTF-8 only, with the position of the first bad byte when
 * a file is not, so an operator can find it in an editor.
 */

// One fatal decoder for the whole process: decoding is stateless between calls.
// The default ignoreBOM: false drops a leading BOM, which TOML allows.
const decoder = new TextDecoder('utf-8', { fatal: true });
// For measuring the valid prefix of a bad line; keeps a BOM so the caller decides about it.
const prefixDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export type Utf8Result =
  | { ok: true; text: string }
  | { ok: false; line: number; col: number; byte: number };

export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return locateInvalidUtf8(bytes);
  }
}

/** Only reached for invalid input: walks the bytes to find where the decoder gave up. */
function locateInvalidUtf8(bytes: Uint8Array): Utf8Result {
  const bad = firstInvalidOffset(bytes);
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < bad; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  if (lineStart === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) lineStart = 3;
  // Counting UTF-16 units keeps the column in the same unit as the TOML parsers' columns.
  const prefix = prefixDecoder.decode(bytes.subarray(lineStart, bad));
  return { ok: false, line, col: prefix.length + 1, byte: bytes[bad] ?? 0 };
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence
 * (Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
export function firstInvalidOffset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const length = sequenceLength(bytes, i, b);
    if (length === 0) return i;
    i += length;
  }
  return bytes.length;
}

/** Length of the well-formed sequence starting at `i` with lead byte `b`, or 0. */
function sequenceLength(bytes: Uint8Array, i: number, b: number): number {
  if (b < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const c = bytes[i + k];
    return c !== undefined && c >= lo && c <= hi;
  };
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b >= 0xe1 && b <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
