/**
 * Runs `work` on each item, at most `limit` at a time, starting them in order; resolves
 * with the results in the items' order. Once `keepGoing()` answers false no further item is
 * started (those already running finish); the items never started have no result.
 * Pure: whatever `work` does, this only schedules it.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
  keepGoing: () => boolean = () => true,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && keepGoing()) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
