/**
 * RFC 1350's netascii on the sending side: every LF becomes CR LF and every bare CR becomes
 * CR NUL (the Telnet NVT rules RFC 764 gives). The mapping is per byte, so chunks can be
 * encoded one at a time with no state carried between them.
 */
const CR = 0x0d;
const LF = 0x0a;

export function encodeNetascii(chunk: Uint8Array): Uint8Array {
  let extra = 0;
  for (const byte of chunk) if (byte === CR || byte === LF) extra += 1;
  if (extra === 0) return chunk;
  const out = new Uint8Array(chunk.length + extra);
  let j = 0;
  for (const byte of chunk) {
    if (byte === LF) {
      out[j++] = CR;
      out[j++] = LF;
    } else if (byte === CR) {
      out[j++] = CR;
      out[j++] = 0;
    } else {
      out[j++] = byte;
    }
  }
  return out;
}
