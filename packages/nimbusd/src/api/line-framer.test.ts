import { describe, expect, it } from 'vitest';
import { LineFramer } from './line-framer.ts';

function frame(max: number, chunks: string[]): string[] {
  const events: string[] = [];
  const framer = new LineFramer(max, { line: (text) => events.push(`line:${text}`), oversized: (n) => events.push(`oversized:${n}`) });
  for (const chunk of chunks) framer.push(Buffer.from(chunk));
  framer.end();
  return events;
}

describe('LineFramer', () => {
  it('joins lines split across chunks, drops CR and blank lines, and keeps a last unterminated line', () => {
    expect(frame(100, ['ab', 'c\r\n\n', 'de\nf', 'g'])).toEqual(['line:abc', 'line:de', 'line:fg']);
  });

  it('reports an oversized line once, drops it to its newline and goes on with the next', () => {
    expect(frame(4, ['abc', 'def', 'ghi\nok\n'])).toEqual(['oversized:6', 'line:ok']);
  });

  it('accepts a line of exactly the limit', () => {
    expect(frame(4, ['abcd\n'])).toEqual(['line:abcd']);
  });
});
