import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateDatabase, schemaVersion } from './database.ts';
import { ConflictError, IllegalTransitionError, NotFoundError, StaleStateError, StateStoreError } from './errors.ts';
import { SCHEMA_VERSION } from './migrations.ts';
import type { Store } from './store.ts';
import { ADMIN, SYSTEM, enrollReady, machineInput, openTestStore, tempStateDir } from './testdata/fixtures.ts';

const TENANT_A = { fingerprint: 'SHA256:tenant-a', role: 'tenant' } as const;
const TENANT_B = { fingerprint: 'SHA256:tenant-b', role: 'tenant' } as const;

let path: string;
let store: Store;
beforeEach(() => {
  path = join(tempStateDir(), 'nimbusd.sqlite');
  store = openTestStore(path);
});
afterEach(() => store.close());

function auditCount(): number {
  return (store.db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n;
}

describe('opening the state database', () => {
  it('uses WAL and synchronous=FULL and records the schema version', () => {
    expect(store.db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(store.db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 });
    expect(schemaVersion(store.db)).toBe(SCHEMA_VERSION);
  });

  it('refuses a database written by a newer nimbusd', () => {
    store.db.exec(`UPDATE schema_version SET version = ${SCHEMA_VERSION + 1}`);
    expect(() => openStateDatabase(path)).toThrow(StateStoreError);
    expect(() => openStateDatabase(path)).toThrow(/newer than this nimbusd's/);
  });

  it('says which file is missing when opened read-only', () => {
    expect(() => openStateDatabase('/nonexistent/nimbusd.sqlite', { readOnly: true })).toThrow(/no state database at \/nonexistent\/nimbusd.sqlite/);
  });
});

describe('machines', () => {
  it('enrolls a machine with its BMC credentials file path and normalised MACs', () => {
    const machine = store.enrollMachine(machineInput('node1'), ADMIN);
    expect(machine).toMatchObject({
      id: 'machine-1',
      state: 'enrolled',
      bmc: { driver: 'redfish', credentialsFile: '/etc/nimbus/node1.pw' },
      lastError: null,
    });
    expect(machine.bootMacs[0]).toMatch(/^52:54:00:aa:[0-9a-f]{2}:[0-9a-f]{2}$/);
    expect(store.listMachines().map((m) => m.name)).toEqual(['node1']);
    expect(store.auditTail(1)[0]).toMatchObject({ action: 'machine.enroll', target: 'machine-1', actor: 'SHA256:admin', role: 'admin' });
  });

  it('finds a machine by boot MAC and refuses a MAC or name that is already enrolled', () => {
    const input = { ...machineInput('node1'), bootMacs: ['52-54-00-0A-0B-0C'] };
    const machine = store.enrollMachine(input, ADMIN);
    expect(store.findMachineByMac('52:54:00:0a:0b:0c')?.id).toBe(machine.id);
    expect(store.findMachineByMac('52:54:00:0a:0b:0d')).toBeUndefined();
    expect(() => store.enrollMachine({ ...machineInput('node2'), bootMacs: ['52:54:00:0a:0b:0c'] }, ADMIN)).toThrow(
      /boot MAC 52:54:00:0a:0b:0c already belongs to machine machine-1/,
    );
    expect(() => store.enrollMachine(machineInput('node1'), ADMIN)).toThrow(/a machine named node1 is already enrolled/);
    expect(store.listMachines()).toHaveLength(1);
    store.removeMachine(machine.id, ADMIN);
    expect(store.findMachineByMac('52:54:00:0a:0b:0c')).toBeUndefined();
  });

  it('rejects bad enrollment input naming every problem', () => {
    const bad = { name: 'n', bmc: { driver: 'ilo' as 'ipmi', address: '', credentialsFile: 'pw' }, bootMacs: ['zz'] };
    expect(() => store.enrollMachine(bad, ADMIN)).toThrow(
      /bmc.driver must be ipmi or redfish, not "ilo"; bmc.address is empty; bmc.credentialsFile must be an absolute path, not "pw"; bootMacs\[0\]: "zz" is not a MAC address/,
    );
    expect(auditCount()).toBe(0);
  });

  it('removes a machine with no live instance and refuses one that has one', () => {
    const free = enrollReady(store, 'node1');
    const held = enrollReady(store, 'node2');
    store.allocate({ tenant: TENANT_A.fingerprint, request: {}, idempotencyKey: 'k', actor: TENANT_A, machineId: held });
    expect(() => store.removeMachine(held, ADMIN)).toThrow(ConflictError);
    store.removeMachine(free, ADMIN);
    expect(() => store.getMachine(free)).toThrow(NotFoundError);
  });
});

describe('transition', () => {
  it('moves the state and writes its audit record', () => {
    const { id } = store.enrollMachine(machineInput('node1'), ADMIN);
    const machine = store.transition(id, 'enrolled', 'inspecting', SYSTEM, { reason: 'enroll' });
    expect(machine.state).toBe('inspecting');
    const [record] = store.auditTail(1);
    expect(record).toMatchObject({ action: 'machine.transition', target: id, result: 'ok', role: 'system' });
    expect(JSON.parse(record!.detail)).toEqual({ from: 'enrolled', to: 'inspecting', reason: 'enroll' });
  });

  it('keeps the error and hint of a machine that enters error', () => {
    const id = enrollReady(store, 'node1');
    const machine = store.transition(id, 'ready', 'error', SYSTEM, { error: 'BMC timed out', hint: 'check the BMC network' });
    expect(machine.lastError).toMatchObject({ message: 'BMC timed out', hint: 'check the BMC network' });
    expect(store.transition(id, 'error', 'inspecting', ADMIN).lastError?.message).toBe('BMC timed out');
    expect(() => store.transition(id, 'inspecting', 'error', SYSTEM)).toThrow(/needs the error/);
  });

  it('refuses a transition the lifecycle does not have and writes nothing', () => {
    const { id } = store.enrollMachine(machineInput('node1'), ADMIN);
    const before = auditCount();
    expect(() => store.transition(id, 'enrolled', 'ready', SYSTEM)).toThrow(IllegalTransitionError);
    expect(store.getMachine(id).state).toBe('enrolled');
    expect(auditCount()).toBe(before);
  });

  it('refuses a stale from (compare-and-set) and writes nothing', () => {
    const { id } = store.enrollMachine(machineInput('node1'), ADMIN);
    const other = openTestStore(path);
    try {
      other.transition(id, 'enrolled', 'inspecting', SYSTEM);
    } finally {
      other.close();
    }
    const before = auditCount();
    expect(() => store.transition(id, 'enrolled', 'inspecting', SYSTEM)).toThrow(StaleStateError);
    expect(() => store.transition(id, 'enrolled', 'inspecting', SYSTEM)).toThrow(/is inspecting, not enrolled/);
    expect(auditCount()).toBe(before);
  });

  it('rolls the state change back when its audit record cannot be written', () => {
    const { id } = store.enrollMachine(machineInput('node1'), ADMIN);
    const before = auditCount();
    // A detail that cannot be serialised fails inside the transaction, after the UPDATE.
    expect(() => store.transition(id, 'enrolled', 'inspecting', SYSTEM, { cost: Number.NaN })).toThrow(/audit detail.cost: NaN/);
    expect(store.getMachine(id).state).toBe('enrolled');
    expect(auditCount()).toBe(before);
    expect(store.db.isTransaction).toBe(false);
  });

  it('says not found for an unknown machine', () => {
    expect(() => store.transition('nope', 'ready', 'allocated', SYSTEM)).toThrow(NotFoundError);
  });
});

describe('allocate and release', () => {
  it('allocates a ready machine to a new instance and audits it', () => {
    const machineId = enrollReady(store, 'node1');
    const { instance, created } = store.allocate({ tenant: TENANT_A.fingerprint, request: { cores: 4 }, idempotencyKey: 'k1', actor: TENANT_A });
    expect(created).toBe(true);
    expect(instance).toMatchObject({ machineId, tenant: TENANT_A.fingerprint, state: 'allocated', request: { cores: 4 } });
    expect(store.getMachine(machineId).state).toBe('allocated');
    expect(store.auditTail(1)[0]).toMatchObject({ action: 'instance.allocate', target: instance.id });
  });

  it('returns the same instance for a repeated idempotency key, and conflicts on a different request', () => {
    enrollReady(store, 'node1');
    enrollReady(store, 'node2');
    const request = { cores: 4, tags: ['a', 'b'] };
    const first = store.allocate({ tenant: TENANT_A.fingerprint, request, idempotencyKey: 'k1', actor: TENANT_A });
    const again = store.allocate({ tenant: TENANT_A.fingerprint, request: { tags: ['a', 'b'], cores: 4 }, idempotencyKey: 'k1', actor: TENANT_A });
    expect(again).toEqual({ instance: first.instance, created: false });
    expect(store.listInstances()).toHaveLength(1);
    expect(store.listMachines({ state: 'ready' })).toHaveLength(1);
    const reused = (() => {
      try {
        store.allocate({ tenant: TENANT_A.fingerprint, request: { cores: 8 }, idempotencyKey: 'k1', actor: TENANT_A });
      } catch (err) {
        return err;
      }
    })();
    expect(reused).toBeInstanceOf(ConflictError);
    expect((reused as ConflictError).reason).toBe('idempotency-key-reused');
    // The key is per tenant: another tenant's k1 is a new instance.
    expect(store.allocate({ tenant: TENANT_B.fingerprint, request, idempotencyKey: 'k1', actor: TENANT_B }).created).toBe(true);
  });

  it('conflicts when no machine is ready', () => {
    expect(() => store.allocate({ tenant: TENANT_A.fingerprint, request: {}, idempotencyKey: 'k', actor: TENANT_A })).toThrow(/no machine is ready/);
  });

  it('is guarded by the unique index even when a machine state says ready wrongly', () => {
    const machineId = enrollReady(store, 'node1');
    store.allocate({ tenant: TENANT_A.fingerprint, request: {}, idempotencyKey: 'k1', actor: TENANT_A });
    // Corrupt the machine row behind the store's back: only the index stands in the way now.
    store.db.prepare("UPDATE machines SET state = 'ready' WHERE id = ?").run(machineId);
    const before = auditCount();
    let caught: unknown;
    try {
      store.allocate({ tenant: TENANT_B.fingerprint, request: {}, idempotencyKey: 'k2', actor: TENANT_B });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConflictError);
    expect((caught as ConflictError).reason).toBe('machine-taken');
    expect(store.listInstances({ live: true })).toHaveLength(1);
    expect(auditCount()).toBe(before);
  });

  it('releases an instance, and frees the machine when it comes back to ready', () => {
    const machineId = enrollReady(store, 'node1');
    const { instance } = store.allocate({ tenant: TENANT_A.fingerprint, request: {}, idempotencyKey: 'k1', actor: TENANT_A });
    expect(() => store.release(instance.id, TENANT_B, TENANT_B.fingerprint)).toThrow(NotFoundError);
    expect(store.release(instance.id, TENANT_A, TENANT_A.fingerprint).state).toBe('releasing');
    expect(store.release(instance.id, TENANT_A, TENANT_A.fingerprint).state).toBe('releasing');
    expect(store.getMachine(machineId).state).toBe('releasing');
    store.transition(machineId, 'releasing', 'ready', SYSTEM, { wiped: true });
    expect(store.getInstance(instance.id).state).toBe('released');
    const next = store.allocate({ tenant: TENANT_B.fingerprint, request: {}, idempotencyKey: 'k1', actor: TENANT_B });
    expect(next.instance.machineId).toBe(machineId);
    expect(store.verifyAudit()).toEqual({ ok: true, records: auditCount() });
  });

  it('mirrors deploying and deployed onto the instance', () => {
    const machineId = enrollReady(store, 'node1');
    const { instance } = store.allocate({ tenant: TENANT_A.fingerprint, request: {}, idempotencyKey: 'k1', actor: TENANT_A });
    store.transition(machineId, 'allocated', 'deploying', SYSTEM);
    expect(store.getInstance(instance.id).state).toBe('deploying');
    expect(() => store.release(instance.id, TENANT_A)).toThrow(/cannot be released now/);
    store.transition(machineId, 'deploying', 'deployed', SYSTEM);
    expect(store.getInstance(instance.id, TENANT_A.fingerprint).state).toBe('deployed');
  });
});

describe('durability settings survive reopening', () => {
  it('reads back what another connection committed', () => {
    enrollReady(store, 'node1');
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      expect(reader.prepare('SELECT state FROM machines').get()).toEqual({ state: 'ready' });
    } finally {
      reader.close();
    }
  });
});

describe('machine classes, inventory and deploy progress', () => {
  it('keeps each machine in its class, counts ready machines by class and allocates within a class', () => {
    const small = store.enrollMachine({ ...machineInput('s1'), class: 'small' }, ADMIN);
    for (const id of [small.id]) {
      store.transition(id, 'enrolled', 'inspecting', SYSTEM);
      store.transition(id, 'inspecting', 'ready', SYSTEM);
    }
    enrollReady(store, 'd1');
    enrollReady(store, 'd2');
    expect(store.readyByClass()).toEqual({ default: 2, small: 1 });
    const { instance } = store.allocate({ tenant: TENANT_A.fingerprint, request: {}, idempotencyKey: 'k1', actor: TENANT_A, machineClass: 'small' });
    expect(instance.machineId).toBe(small.id);
    expect(store.readyByClass()).toEqual({ default: 2 });
    expect(() => store.allocate({ tenant: TENANT_A.fingerprint, request: { b: 1 }, idempotencyKey: 'k2', actor: TENANT_A, machineClass: 'small' })).toThrow(
      /no machine of class small is ready to allocate/,
    );
  });

  it('refuses a class id the registry would not accept, and re-classifies with an audit record', () => {
    expect(() => store.enrollMachine({ ...machineInput('bad'), class: 'Big Box' }, ADMIN)).toThrow(/class "Big Box" must be lower-case/);
    const machine = store.enrollMachine(machineInput('n1'), ADMIN);
    expect(machine.class).toBe('default');
    expect(store.setMachineClass(machine.id, 'gpu-a100', ADMIN).class).toBe('gpu-a100');
    const record = store.auditTail(1)[0]!;
    expect(record.action).toBe('machine.class');
    expect(JSON.parse(record.detail)).toEqual({ from: 'default', to: 'gpu-a100' });
    expect(store.verifyAudit().ok).toBe(true);
  });

  it('stores the BMC user and the last inventory with when it was taken', () => {
    const machine = store.enrollMachine({ ...machineInput('n1'), bmc: { ...machineInput('x').bmc, username: 'operator' } }, ADMIN);
    expect(machine.bmc.username).toBe('operator');
    expect(machine.inventory).toBeNull();
    const after = store.recordInventory(machine.id, { cpus: { count: 2 } }, SYSTEM, 'out-of-band');
    expect(after.inventory).toEqual({ data: { cpus: { count: 2 } }, at: expect.stringMatching(/^2026-/) });
    expect(store.auditTail(1)[0]).toMatchObject({ action: 'machine.inventory', target: machine.id, detail: '{"source":"out-of-band"}' });
    expect(() => store.recordInventory('nope', {}, SYSTEM, 'in-band')).toThrow(NotFoundError);
  });

  it('records deploy phase and address on the instance and forgets the phase once released', () => {
    const machineId = enrollReady(store, 'n1');
    const { instance } = store.allocate({ tenant: TENANT_A.fingerprint, request: {}, idempotencyKey: 'k', actor: TENANT_A });
    expect(store.liveInstanceOf(machineId)?.id).toBe(instance.id);
    store.updateInstanceProgress(instance.id, { phase: 'pxe' });
    const updated = store.updateInstanceProgress(instance.id, { address: '10.0.0.9' });
    expect(updated.phase).toEqual({ name: 'pxe', at: expect.any(String) });
    expect(updated.address).toBe('10.0.0.9');
    store.release(instance.id, TENANT_A);
    store.transition(machineId, 'releasing', 'ready', SYSTEM);
    expect(store.getInstance(instance.id)).toMatchObject({ state: 'released', phase: null });
    expect(store.liveInstanceOf(machineId)).toBeUndefined();
  });
});
