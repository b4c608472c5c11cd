import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { parseProviderFile, type ProviderSource } from '@nimbus/core';
import { serializeParsed, type SerializedParse } from './serialized-parse.ts';

/** Below this many files a worker's start-up (loading the schema validator) costs more than it saves. */
export const PARALLEL_THRESHOLD = 2000;
const MAX_WORKERS = 8;

// The worker runs from the same place this module does: dist/*.js when built, src/*.ts
// under the test runner (Node strips the types itself).
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './parse-worker.ts' : './parse-worker.js', import.meta.url);

function parseInline(sources: readonly ProviderSource[]): SerializedParse[] {
  return sources.map((s) => serializeParsed(parseProviderFile(s)));
}

function parseInWorker(sources: readonly ProviderSource[]): Promise<SerializedParse[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL);
    worker.once('message', (result: SerializedParse[]) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`provider-file parse worker exited with code ${code}`));
    });
    worker.postMessage(sources);
  });
}

/**
 * Parses many provider files on every core: a registry of thousands of files is
 * parsed in a fraction of the time one thread takes. Results keep the sources' order.
 */
export async function parseSources(sources: readonly ProviderSource[], workers = Math.min(availableParallelism(), MAX_WORKERS)): Promise<SerializedParse[]> {
  if (sources.length < PARALLEL_THRESHOLD || workers < 2) return parseInline(sources);
  const size = Math.ceil(sources.length / workers);
  const chunks = Array.from({ length: workers }, (_, i) => sources.slice(i * size, (i + 1) * size)).filter((c) => c.length > 0);
  return (await Promise.all(chunks.map(parseInWorker))).flat();
}
