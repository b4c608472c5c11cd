import { describe, expect, it } from 'vitest';
import { DEFAULT_BLOCK_SIZE, negotiate } from './options.ts';

const limits = { maxBlockSize: 1468, maxWindowSize: 64 };
const ask = (entries: [string, string][], size: number | null = 1000) => negotiate(new Map(entries), size, limits);

describe('TFTP option negotiation', () => {
  it('sends no OACK when nothing was asked, and keeps RFC 1350 lock-step', () => {
    expect(ask([])).toEqual({ blockSize: DEFAULT_BLOCK_SIZE, windowSize: 1, timeoutSeconds: null, accepted: new Map() });
  });

  it.each([
    ['blksize within limits', '1024', 1024],
    ['blksize above the path MTU is lowered to it', '65464', 1468],
    ['blksize at the RFC 2348 minimum', '8', 8],
  ])('%s', (_what, asked, granted) => {
    const result = ask([['blksize', asked]]);
    expect(result.blockSize).toBe(granted);
    expect(result.accepted.get('blksize')).toBe(String(granted));
  });

  it.each([['7'], ['0']])('blksize %s (below 8) is not acknowledged', (asked) => {
    const result = ask([['blksize', asked]]);
    expect(result.blockSize).toBe(DEFAULT_BLOCK_SIZE);
    expect(result.accepted.size).toBe(0);
  });

  it('answers tsize with the file size, and not at all when the size on the wire is unknown (netascii)', () => {
    expect(ask([['tsize', '0']], 75_347).accepted).toEqual(new Map([['tsize', '75347']]));
    expect(ask([['tsize', '0']], null).accepted.size).toBe(0);
  });

  it.each([
    ['1', true],
    ['255', true],
    ['0', false],
    ['256', false],
  ])('timeout %s accepted: %s (RFC 2349: 1–255, echoed as asked)', (asked, accepted) => {
    const result = ask([['timeout', asked]]);
    expect(result.accepted.get('timeout')).toBe(accepted ? asked : undefined);
    expect(result.timeoutSeconds).toBe(accepted ? Number(asked) : null);
  });

  it.each([
    ['16', 16],
    ['65535', 64],
    ['0', null],
    ['65536', null],
  ])('windowsize %s → %s (RFC 7440: 1–65535, capped by maxWindowSize)', (asked, granted) => {
    const result = ask([['windowsize', asked]]);
    expect(result.accepted.get('windowsize')).toBe(granted === null ? undefined : String(granted));
    expect(result.windowSize).toBe(granted ?? 1);
  });

  it('ignores options it does not know and answers the rest in the client\'s order', () => {
    const result = ask([['multicast', ''], ['tsize', '0'], ['x-pxe', 'yes'], ['blksize', '1432']]);
    expect([...result.accepted]).toEqual([['tsize', '1000'], ['blksize', '1432']]);
  });
});
