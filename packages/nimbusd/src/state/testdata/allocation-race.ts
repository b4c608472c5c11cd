/**
 * Races allocations for the machines of one state database: THREADS worker threads, each
 * holding PER_THREAD connections of its own, all released together from one barrier; each
 * connection makes one attempt. Run with
 * `node --conditions=nimbus:source allocation-race.ts DB THREADS PER_THREAD`;
 * prints one JSON line: the outcome of every attempt.
 *
 * Attempts on different threads overlap for real; the connections of one thread take
 * turns. Threads are few because each one loads every module afresh (about 170 ms of
 * CPU apiece), which would make a thread per attempt take half a minute.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ConflictError } from '../errors.ts';
import { Store } from '../store.ts';

interface WorkerInput {
  path: string;
  thread: number;
  perThread: number;
  barrier: SharedArrayBuffer;
  threads: number;
}

/** One attempt: the instance it won, or the error code (and conflict reason) it got. */
export type RaceOutcome = { won: string } | { code: string; reason?: string; message: string };

if (isMainThread) {
  const [path, threads, perThread] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
  // [0]: threads ready at the barrier; [1]: the go signal.
  const barrier = new SharedArrayBuffer(8);
  const outcomes = await Promise.all(
    Array.from({ length: threads }, (_, thread) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { path, thread, perThread, barrier, threads } satisfies WorkerInput });
      return new Promise<RaceOutcome[]>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  process.stdout.write(`${JSON.stringify(outcomes.flat())}\n`);
} else {
  const { path, thread, perThread, barrier, threads } = workerData as WorkerInput;
  const flags = new Int32Array(barrier);
  const stores = Array.from(
    { length: perThread },
    () => new Store({ path, clock: () => new Date(Date.UTC(2026, 0, 1)), busyTimeoutMs: 30_000 }),
  );
  // Every connection is open first; the last thread to arrive fires the start.
  if (Atomics.add(flags, 0, 1) + 1 === threads) {
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
  } else {
    Atomics.wait(flags, 1, 0);
  }
  const outcomes = stores.map((store, i) => attempt(store, thread * perThread + i));
  for (const store of stores) store.close();
  parentPort!.postMessage(outcomes);
}

function attempt(store: Store, index: number): RaceOutcome {
  const tenant = `SHA256:tenant-${index}`;
  try {
    const { instance } = store.allocate({ tenant, request: { index }, idempotencyKey: `key-${index}`, actor: { fingerprint: tenant, role: 'tenant' } });
    return { won: instance.id };
  } catch (err) {
    if (err instanceof ConflictError) return { code: err.code, reason: err.reason, message: err.message };
    const e = err as Error & { code?: string };
    return { code: e.code ?? 'UNKNOWN', message: e.message };
  }
}
