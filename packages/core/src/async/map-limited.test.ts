import { describe, expect, it } from 'vitest';
import { mapLimited } from './map-limited.ts';

/** A task that finishes when told, recording how many run at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  const work = async (item: number): Promise<number> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => waiting.push(resolve));
    running--;
    return item * 10;
  };
  return { work, peak: () => peak, release: () => waiting.splice(0).forEach((r) => r()) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('mapLimited', () => {
  it('runs at most `limit` at once and keeps the results in order', async () => {
    const g = gate();
    const done = mapLimited([1, 2, 3, 4, 5], 2, g.work);
    for (let i = 0; i < 5; i++) {
      await tick();
      g.release();
    }
    expect(await done).toEqual([10, 20, 30, 40, 50]);
    expect(g.peak()).toBe(2);
  });

  it('starts nothing more once keepGoing says no, and lets running work finish', async () => {
    const started: number[] = [];
    const results = await mapLimited([1, 2, 3, 4], 1, async (item) => {
      started.push(item);
      return item;
    }, () => started.length < 2);
    expect(started).toEqual([1, 2]);
    expect(results.slice(0, 2)).toEqual([1, 2]);
    expect(results[2]).toBeUndefined();
  });

  it('answers an empty list at once', async () => {
    expect(await mapLimited([], 4, async () => 1)).toEqual([]);
  });
});
