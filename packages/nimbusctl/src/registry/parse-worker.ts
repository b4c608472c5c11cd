/**
 * Worker side of parallel parsing: parses the provider files it is sent and answers
 * with each result already serialised, the form the parse index stores.
 */
import { parentPort } from 'node:worker_threads';
import { parseProviderFile, type ProviderSource } from '@nimbus/core';
import { serializeParsed } from './serialized-parse.ts';

parentPort!.on('message', (sources: ProviderSource[]) => {
  parentPort!.postMessage(sources.map((s) => serializeParsed(parseProviderFile(s))));
});
