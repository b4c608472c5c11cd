/**
 * 100 clients, each on its own SSH connection, race to allocate the one ready machine:
 * exactly one wins and the other 99 get a conflict that says why. Two ways to be 100
 * clients: 100 tenants (100 keys), and one tenant running 100 clients with their own
 * idempotency keys. A third case is one tenant retrying one request from 100 clients:
 * that is one allocation answered 100 times, not a race.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Instance } from '../state/index.ts';
import { ApiCallError, NimbusApiClient } from './client.ts';
import { RPC_ERRORS } from './json-rpc.ts';
import { startTestApi, testKey, type TestApi, type TestKey } from './testdata/api-fixture.ts';
import { mapLimited } from '@nimbus/core';

const CLIENTS = 100;
/** SSH handshakes at once while connecting; the creates themselves all go out together. */
const CONNECT_CONCURRENCY = 25;
/** The conflicts a losing allocation may get: nothing left to take, or taken under it. */
const LOSING_REASONS = ['no-ready-machine', 'machine-taken'];


type CreateAnswer = { instance: Instance; created: boolean };

interface Race {
  api: TestApi;
  outcomes: PromiseSettledResult<CreateAnswer>[];
  connectMs: number;
  raceMs: number;
}

const opened: { clients: NimbusApiClient[]; api?: TestApi } = { clients: [] };

afterEach(async () => {
  for (const client of opened.clients) client.close();
  opened.clients = [];
  await opened.api?.close();
  opened.api = undefined;
});

/** Connects one client per key (keys may repeat), then sends every create at once. */
async function race(keys: readonly TestKey[], idempotencyKeyOf: (i: number) => string): Promise<Race> {
  const api = await startTestApi({ adminKeys: [], tenantPolicy: 'open', tenantKeys: [] }, 1);
  opened.api = api;
  const connectStart = performance.now();
  const clients = await mapLimited(keys, CONNECT_CONCURRENCY, async (key) => {
    const client = await NimbusApiClient.connect({ host: '127.0.0.1', port: api.port, privateKey: key.privateKey, hostKeyFingerprint: api.host.fingerprint });
    opened.clients.push(client);
    return client;
  });
  const connectMs = performance.now() - connectStart;
  const raceStart = performance.now();
  // Every call is written before any answer is read: all 100 are in flight together.
  const calls = clients.map((client, i) => client.call('instances.create', { request: { arch: 'x86_64', cores: 8 }, idempotencyKey: idempotencyKeyOf(i) }));
  const outcomes = await Promise.allSettled(calls);
  const raceMs = performance.now() - raceStart;
  return { api, outcomes, connectMs, raceMs };
}

/** Asserts one winner and 99 clear conflicts, and that the store and its audit log agree. */
function expectOneWinner({ api, outcomes }: Race, keys: readonly TestKey[]): Instance {
  const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ i, answer: o.value }] : []));
  const losers = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  expect(winners).toHaveLength(1);
  expect(losers).toHaveLength(CLIENTS - 1);
  const [winner] = winners;
  if (!winner) throw new Error('no winner');
  expect(winner.answer.created).toBe(true);
  expect(winner.answer.instance).toMatchObject({ tenant: keys[winner.i]?.fingerprint, state: 'allocated' });

  for (const err of losers) {
    expect(err).toBeInstanceOf(ApiCallError);
    const call = err as ApiCallError;
    expect(call.rpcCode).toBe(RPC_ERRORS.CONFLICT);
    expect(LOSING_REASONS).toContain(call.data?.reason);
    expect(call.message).toMatch(/^instances\.create: (no machine is ready to allocate|machine \S+ already belongs to an instance)$/);
  }

  const live = api.store.listInstances({ live: true });
  expect(live.map((i) => i.id)).toEqual([winner.answer.instance.id]);
  expect(api.store.listMachines({ state: 'ready' })).toEqual([]);
  expect(api.store.getMachine(winner.answer.instance.machineId).state).toBe('allocated');

  const records = api.store.auditTail(1000);
  expect(records.filter((r) => r.action === 'instance.allocate')).toHaveLength(1);
  expect(records.filter((r) => r.action === 'api.instances.create' && r.result === 'ok')).toHaveLength(1);
  expect(records.filter((r) => r.action === 'api.instances.create' && r.result === 'conflict')).toHaveLength(CLIENTS - 1);
  expect(api.store.verifyAudit()).toEqual({ ok: true, records: expect.any(Number) as number });
  return winner.answer.instance;
}

function report(name: string, { connectMs, raceMs }: Race): void {
  console.info(`${name}: ${CLIENTS} connections in ${connectMs.toFixed(0)} ms (${CONNECT_CONCURRENCY} at a time), ${CLIENTS} concurrent creates answered in ${raceMs.toFixed(0)} ms`);
}

describe('100 clients racing for the one ready machine', () => {
  it('100 tenants: exactly one wins, 99 get a conflict with its reason, the audit chain verifies', async () => {
    const keys = Array.from({ length: CLIENTS }, () => testKey());
    const result = await race(keys, () => 'race');
    report('100 tenants', result);
    expectOneWinner(result, keys);
  });

  it('one tenant on 100 connections with 100 idempotency keys: exactly one wins, 99 conflicts', async () => {
    const tenant = testKey();
    const keys = Array.from({ length: CLIENTS }, () => tenant);
    const result = await race(keys, (i) => `race-${i}`);
    report('one tenant, 100 keys', result);
    expectOneWinner(result, keys);
  });

  it('one tenant retrying one idempotency key on 100 connections gets the same instance every time, allocated once', async () => {
    const tenant = testKey();
    const keys = Array.from({ length: CLIENTS }, () => tenant);
    const result = await race(keys, () => 'same-request');
    report('one tenant, one key', result);
    const answers = result.outcomes.map((o) => {
      expect(o.status).toBe('fulfilled');
      return (o as PromiseFulfilledResult<CreateAnswer>).value;
    });
    expect(new Set(answers.map((a) => a.instance.id)).size).toBe(1);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    const records = result.api.store.auditTail(1000);
    expect(records.filter((r) => r.action === 'instance.allocate')).toHaveLength(1);
    expect(result.api.store.verifyAudit()).toMatchObject({ ok: true });
  });
});
