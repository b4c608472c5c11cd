/**
 * The tenant isolation matrix: two tenants and an admin × every API method × every kind of
 * object. A tenant's own objects work; another tenant's objects answer exactly as an id
 * that does not exist; admin-only methods are refused to tenants with one fixed error.
 *
 * The method list is `ApiMethodName`, the key type of the API's method map: the table below
 * is a `Record` over it, so a method added to the API does not type-check until it has a
 * row here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../state/index.ts';
import { ApiCallError, NimbusApiClient } from './client.ts';
import { RPC_ERRORS } from './json-rpc.ts';
import { isApiMethod, type ApiMethodName } from './methods.ts';
import { startTestApi, testKey, type TestApi, type TestKey } from './testdata/api-fixture.ts';
import { LoopbackConsole } from './testdata/loopback-console.ts';


const CALLERS = ['tenantA', 'tenantB', 'admin'] as const;
type CallerName = (typeof CALLERS)[number];

/** The objects every method is called on; the id goes in `params.id` (methods that take no id must ignore it). */
const OBJECTS = ['A-instance', 'B-instance', 'missing-instance', 'machine', 'missing-machine'] as const;
type ObjectName = (typeof OBJECTS)[number];

const MISSING_INSTANCE_ID = 'instance-999';
const MISSING_MACHINE_ID = 'machine-999';

type Outcome = 'ok' | 'not-found' | 'forbidden';

/** Power actions the API asked the (recording) BMC service for, by machine id. */
const powerCalls: { machineId: string; action: string }[] = [];

/** What a caller may see of an object: its own instance, or every instance as an admin. */
function ownsOrAdmin(caller: CallerName, object: ObjectName): boolean {
  if (caller === 'admin') return object === 'A-instance' || object === 'B-instance';
  return (caller === 'tenantA' && object === 'A-instance') || (caller === 'tenantB' && object === 'B-instance');
}

interface MethodRow {
  /** The method's own params besides `id`. */
  params(ctx: RowContext): Record<string, unknown>;
  expected(caller: CallerName, object: ObjectName): Outcome;
  /** Checks a successful result. */
  check(result: unknown, ctx: RowContext): void;
  /** How the method is called, when not with `client.call` (a console opens a channel of its own). */
  call?(client: NimbusApiClient, params: Record<string, unknown>): Promise<unknown>;
}

interface RowContext {
  caller: CallerName;
  object: ObjectName;
  objectId: string;
  fingerprint: string;
  api: TestApi;
  instances: Record<'A' | 'B', Instance>;
  fingerprints: Record<CallerName, string>;
}

const instanceMethod = (check: (instance: Instance, ctx: RowContext) => void): MethodRow => ({
  params: () => ({}),
  expected: (caller, object) => (ownsOrAdmin(caller, object) ? 'ok' : 'not-found'),
  check: (result, ctx) => {
    const { instance } = result as { instance: Instance };
    expect(instance.id).toBe(ctx.objectId);
    check(instance, ctx);
  },
});

const adminOnly = (expectedForAdmin: (object: ObjectName) => Outcome, check: MethodRow['check']): MethodRow => ({
  params: () => ({}),
  expected: (caller, object) => (caller === 'admin' ? expectedForAdmin(object) : 'forbidden'),
  check,
});

let createCount = 0;

const MATRIX: Record<ApiMethodName, MethodRow> = {
  capacity: {
    params: () => ({}),
    expected: () => 'ok',
    check: (result, ctx) => {
      const free = ctx.api.store.listMachines({ state: 'ready' }).length;
      expect(result).toEqual({ free, classes: free > 0 ? { default: free } : {} });
    },
  },
  version: {
    params: () => ({}),
    expected: () => 'ok',
    check: (result) => expect(result).toEqual({ nimbusd: 'unknown', api: 1 }),
  },
  'instances.create': {
    params: () => ({ request: { cores: 1 }, idempotencyKey: `matrix-${++createCount}` }),
    expected: () => 'ok',
    check: (result, ctx) => {
      const made = result as { instance: Instance; created: boolean };
      expect(made.created).toBe(true);
      // The instance is the caller's whatever id rides along in the params.
      expect(made.instance.tenant).toBe(ctx.fingerprint);
      expect(made.instance.id).not.toBe(ctx.objectId);
    },
  },
  'instances.list': {
    params: () => ({}),
    expected: () => 'ok',
    check: (result, ctx) => {
      const ids = (result as { instances: Instance[] }).instances.map((i) => i.id);
      const tenants = new Set((result as { instances: Instance[] }).instances.map((i) => i.tenant));
      if (ctx.caller === 'admin') {
        expect(ids).toEqual(expect.arrayContaining([ctx.instances.A.id, ctx.instances.B.id]));
      } else {
        expect([...tenants]).toEqual([ctx.fingerprint]);
        const own = ctx.caller === 'tenantA' ? ctx.instances.A : ctx.instances.B;
        const theirs = ctx.caller === 'tenantA' ? ctx.instances.B : ctx.instances.A;
        expect(ids).toContain(own.id);
        expect(ids).not.toContain(theirs.id);
      }
    },
  },
  'instances.get': instanceMethod(() => {}),
  'instances.console': {
    ...instanceMethod(() => {}),
    call: async (client, params) => {
      const session = await client.openConsole(params as { id: string });
      const echoed = new Promise<string>((resolve) => session.stream.once('data', (d: Buffer) => resolve(d.toString())));
      session.stream.resume();
      session.stream.write('ping');
      expect(await echoed).toBe('ping');
      session.stream.destroy();
      await session.closed;
      return session.result;
    },
  },
  'instances.power': {
    params: () => ({ action: 'reset' }),
    expected: (caller, object) => (ownsOrAdmin(caller, object) ? 'ok' : 'not-found'),
    check: (result, ctx) => {
      expect((result as { instance: Instance }).instance.id).toBe(ctx.objectId);
      expect(powerCalls.at(-1)).toEqual({ machineId: (result as { instance: Instance }).instance.machineId, action: 'reset' });
    },
  },
  'instances.watch': {
    params: () => ({ timeoutSeconds: 5 }),
    expected: (caller, object) => (ownsOrAdmin(caller, object) ? 'ok' : 'not-found'),
    check: (result, ctx) => {
      const event = result as { instance: Instance; outcome: string };
      expect(event.instance.id).toBe(ctx.objectId);
      expect(event.outcome).toBe('deployed');
    },
  },
  'instances.delete': instanceMethod((instance) => expect(instance.state).toBe('releasing')),
  'machines.list': adminOnly(
    () => 'ok',
    (result, ctx) => expect((result as { machines: { id: string }[] }).machines.map((m) => m.id)).toEqual(ctx.api.store.listMachines().map((m) => m.id)),
  ),
  'machines.get': adminOnly(
    (object) => (object === 'machine' ? 'ok' : 'not-found'),
    (result, ctx) => expect((result as { machine: { id: string } }).machine.id).toBe(ctx.objectId),
  ),
  'audit.tail': adminOnly(
    () => 'ok',
    (result) => expect((result as { records: unknown[] }).records.length).toBeGreaterThan(0),
  ),
};

const METHOD_NAMES = Object.keys(MATRIX) as ApiMethodName[];

interface Row {
  method: ApiMethodName;
  caller: CallerName;
  object: ObjectName;
  outcome: Outcome;
}

const ROWS: Row[] = METHOD_NAMES.flatMap((method) =>
  CALLERS.flatMap((caller) => OBJECTS.map((object) => ({ method, caller, object, outcome: MATRIX[method].expected(caller, object) }))),
);

/** The call's ApiCallError, or a failed assertion if the call succeeded. */
async function callError(promise: Promise<unknown>): Promise<ApiCallError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiCallError);
  return err as ApiCallError;
}

/** An error answer with the object's id masked, to compare answers about different ids. */
function shape(err: ApiCallError, id: string): { rpcCode: number; message: string; data: unknown } {
  return { rpcCode: err.rpcCode, message: err.message.split(id).join('<id>'), data: err.data };
}

describe('the tenant isolation matrix', () => {
  const keys: Record<CallerName, TestKey> = { tenantA: testKey(), tenantB: testKey(), admin: testKey() };
  const fingerprints = { tenantA: keys.tenantA.fingerprint, tenantB: keys.tenantB.fingerprint, admin: keys.admin.fingerprint };
  const clients = {} as Record<CallerName, NimbusApiClient>;
  let api: TestApi;
  let instances: Record<'A' | 'B', Instance>;
  let machineId: string;

  const idOf = (object: ObjectName): string =>
    ({
      'A-instance': instances.A.id,
      'B-instance': instances.B.id,
      'missing-instance': MISSING_INSTANCE_ID,
      machine: machineId,
      'missing-machine': MISSING_MACHINE_ID,
    })[object];

  beforeAll(async () => {
    // Enough ready machines for every successful instances.create row, plus A's and B's.
    const creates = ROWS.filter((r) => r.method === 'instances.create' && r.outcome === 'ok').length;
    api = await startTestApi({ adminKeys: [fingerprints.admin], tenantPolicy: 'allowlist', tenantKeys: [fingerprints.tenantA, fingerprints.tenantB] }, creates + 2, undefined, {
      services: {
        power: async (machine, action) => {
          powerCalls.push({ machineId: machine.id, action });
        },
        openConsole: async () => new LoopbackConsole(),
      },
    });
    for (const caller of CALLERS) {
      clients[caller] = await NimbusApiClient.connect({ host: '127.0.0.1', port: api.port, privateKey: keys[caller].privateKey, hostKeyFingerprint: api.host.fingerprint });
    }
    instances = {
      A: (await clients.tenantA.call('instances.create', { request: { owner: 'A' }, idempotencyKey: 'a' })).instance,
      B: (await clients.tenantB.call('instances.create', { request: { owner: 'B' }, idempotencyKey: 'b' })).instance,
    };
    machineId = instances.A.machineId;
    // Deployed, so that power actions apply and a watch has its outcome at once.
    const system = { fingerprint: 'nimbusd', role: 'system' } as const;
    for (const instance of Object.values(instances)) {
      api.store.transition(instance.machineId, 'allocated', 'deploying', system);
      api.store.transition(instance.machineId, 'deploying', 'deployed', system);
    }
    instances = { A: api.store.getInstance(instances.A.id), B: api.store.getInstance(instances.B.id) };
  });

  afterAll(async () => {
    for (const client of Object.values(clients)) client.close();
    await api?.close();
  });

  it('has a row for every method the API serves, each a real method', () => {
    expect(METHOD_NAMES.length).toBeGreaterThan(0);
    for (const method of METHOD_NAMES) expect(isApiMethod(method), method).toBe(true);
    expect(ROWS).toHaveLength(METHOD_NAMES.length * CALLERS.length * OBJECTS.length);
    // The table denies something to every tenant: a matrix of only "ok" would prove nothing.
    expect(ROWS.filter((r) => r.caller !== 'admin' && r.outcome !== 'ok').length).toBeGreaterThan(METHOD_NAMES.length);
  });

  it.each(ROWS)('$caller calls $method on $object: $outcome', async ({ method, caller, object, outcome }) => {
    const objectId = idOf(object);
    const client = clients[caller];
    const ctx: RowContext = { caller, object, objectId, fingerprint: fingerprints[caller], api, instances, fingerprints };
    const params = () => ({ ...MATRIX[method].params(ctx), id: objectId });
    const row = MATRIX[method];
    const call = (p: Record<string, unknown>) => (row.call ? row.call(client, p) : client.call(method, p));
    const before = { A: api.store.getInstance(instances.A.id), B: api.store.getInstance(instances.B.id) };

    if (outcome === 'ok') {
      row.check(await call(params()), ctx);
      return;
    }

    const err = await callError(call(params()));
    if (outcome === 'forbidden') {
      // The same refusal whatever the object: nothing about it leaks.
      expect(shape(err, objectId)).toEqual({ rpcCode: RPC_ERRORS.FORBIDDEN, message: `${method}: ${method} is for admins only`, data: undefined });
    } else {
      expect(err.rpcCode).toBe(RPC_ERRORS.NOT_FOUND);
      const missingId = method.startsWith('machines.') ? MISSING_MACHINE_ID : MISSING_INSTANCE_ID;
      const missing = await callError(call({ ...row.params(ctx), id: missingId }));
      expect(shape(err, objectId)).toEqual(shape(missing, missingId));
    }
    // A refused call changes nothing.
    expect({ A: api.store.getInstance(instances.A.id), B: api.store.getInstance(instances.B.id) }).toEqual(before);
  });

  it('audited every call with its caller, and the chain verifies', () => {
    const records = api.store.auditTail(10_000);
    const apiRecords = records.filter((r) => r.action.startsWith('api.'));
    for (const caller of CALLERS) {
      const refused = ROWS.filter((r) => r.caller === caller && r.outcome === 'forbidden').length;
      expect(apiRecords.filter((r) => r.actor === fingerprints[caller] && r.result === 'denied')).toHaveLength(refused);
    }
    // Only an instance's owner or an admin ever released it.
    for (const release of records.filter((r) => r.action === 'instance.release')) {
      const owner = release.target === instances.A.id ? fingerprints.tenantA : release.target === instances.B.id ? fingerprints.tenantB : undefined;
      expect([owner, fingerprints.admin]).toContain(release.actor);
    }
    expect(api.store.verifyAudit()).toMatchObject({ ok: true });
  });
});
