import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BmcClient } from '../bmc/driver.ts';
import { BmcAuthError, BmcProtocolError, BmcTimeoutError } from '../bmc/errors.ts';
import type { PowerState } from '../bmc/power.ts';
import type { Machine } from '../state/records.ts';
import type { Store } from '../state/store.ts';
import { ADMIN, enrollReady, machineInput, openTestStore, tempStateDir } from '../state/testdata/fixtures.ts';
import { PowerSync, type PowerSyncOptions } from './power-sync.ts';

/** What the fake BMC of a machine does on the next reading: answer a state or throw. */
type Answer = PowerState | Error | (() => Promise<PowerState>);

let store: Store;
let now: number;
const clock = () => new Date(now);
let answers: Map<string, Answer>;
let calls: string[];

/** A connect seam whose clients answer from `answers` by machine name. */
function fakeConnect(machine: Machine): BmcClient {
  return {
    features: ['power'],
    async powerState() {
      calls.push(machine.name);
      const answer = answers.get(machine.name) ?? 'on';
      if (answer instanceof Error) throw answer;
      if (typeof answer === 'function') return answer();
      return answer;
    },
    async close() {},
  };
}

function sync(options: Partial<PowerSyncOptions> = {}): PowerSync {
  return new PowerSync({ store, connect: fakeConnect, clock, backoffBaseMs: 1000, backoffMaxMs: 8000, ...options });
}

function errorTransitions(id: string): { actor: string; role: string; detail: Record<string, unknown> }[] {
  return store
    .auditTail(1000)
    .filter((r) => r.target === id && r.action === 'machine.transition')
    .map((r) => ({ actor: r.actor, role: r.role, detail: JSON.parse(r.detail) as Record<string, unknown> }))
    .filter((r) => r.detail['to'] === 'error');
}

beforeEach(() => {
  store = openTestStore(join(tempStateDir(), 'nimbusd.sqlite'));
  now = Date.parse('2026-03-01T00:00:00Z');
  answers = new Map();
  calls = [];
});
afterEach(() => store.close());

describe('PowerSync', () => {
  it('never has more than `concurrency` readings in flight, and does use that many', async () => {
    for (let i = 0; i < 10; i++) enrollReady(store, `node${i}`);
    let inFlight = 0;
    let most = 0;
    const slow = async (): Promise<PowerState> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return 'on';
    };
    for (let i = 0; i < 10; i++) answers.set(`node${i}`, slow);
    const summary = await sync({ concurrency: 3 }).syncOnce();
    expect(most).toBe(3);
    expect(summary).toMatchObject({ polled: 10, failed: 0 });
  });

  it('records the power state of every machine but the enrolled ones', async () => {
    const a = enrollReady(store, 'a');
    const b = enrollReady(store, 'b');
    const fresh = store.enrollMachine(machineInput('fresh'), ADMIN).id;
    answers.set('b', 'off');
    const ps = sync();
    await ps.syncOnce();
    expect(ps.powerOf(a)).toEqual({ state: 'on', at: new Date(now) });
    expect(ps.powerOf(b)?.state).toBe('off');
    expect(ps.powerOf(fresh)).toBeUndefined();
    expect(calls.sort()).toEqual(['a', 'b']);
  });

  it('moves a machine whose BMC times out three times to error, once, with reason and hint', async () => {
    const id = enrollReady(store, 'node1');
    answers.set('node1', new BmcTimeoutError('no answer from node1-bmc.example:443 after 3 tries'));
    const ps = sync();
    for (let round = 0; round < 3; round++) {
      await ps.syncOnce();
      now += 10_000; // past any backoff
    }
    const machine = store.getMachine(id);
    expect(machine.state).toBe('error');
    expect(machine.lastError).toMatchObject({
      message: 'BMC did not answer',
      hint: "check the BMC's network and address node1-bmc.example:443",
    });
    // Further failures of a machine already in error transition nothing.
    await ps.syncOnce();
    now += 10_000;
    await ps.syncOnce();
    const records = errorTransitions(id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: 'nimbusd', role: 'system', detail: { from: 'ready', code: 'BMC_TIMEOUT', failures: 3 } });
  });

  it('classifies a refused login and names the password file, never the password', async () => {
    const id = enrollReady(store, 'node1');
    answers.set('node1', new BmcAuthError('RAKP 2: unauthorized name'));
    const ps = sync({ maxFailures: 1 });
    const summary = await ps.syncOnce();
    expect(summary.movedToError).toEqual([id]);
    expect(store.getMachine(id).lastError).toMatchObject({
      message: 'BMC refused the credentials',
      hint: 'check the password file /etc/nimbus/node1.pw and the BMC user',
    });
  });

  it('quotes the completion code of a protocol error', async () => {
    const id = enrollReady(store, 'node1');
    answers.set('node1', new BmcProtocolError('Get Chassis Status failed', { completionCode: 0xc1 }));
    await sync({ maxFailures: 1 }).syncOnce();
    expect(store.getMachine(id).lastError?.message).toMatch(/completion code 0xc1.*Get Chassis Status failed/);
  });

  it('starts counting again after a BMC recovers', async () => {
    const id = enrollReady(store, 'node1');
    const ps = sync();
    answers.set('node1', new BmcTimeoutError('no answer'));
    await ps.syncOnce();
    now += 10_000;
    await ps.syncOnce();
    expect(ps.failuresOf(id)).toBe(2);
    answers.set('node1', 'on');
    now += 10_000;
    await ps.syncOnce();
    expect(ps.failuresOf(id)).toBe(0);
    expect(ps.powerOf(id)?.state).toBe('on');
    answers.set('node1', new BmcTimeoutError('no answer'));
    for (let round = 0; round < 2; round++) {
      now += 10_000;
      await ps.syncOnce();
    }
    expect(store.getMachine(id).state).toBe('ready');
    expect(ps.failuresOf(id)).toBe(2);
  });

  it('does not ask a failing BMC again before its backoff runs out, and doubles the wait', async () => {
    enrollReady(store, 'sick');
    enrollReady(store, 'well');
    answers.set('sick', new BmcTimeoutError('no answer'));
    const ps = sync({ maxFailures: 10 });
    await ps.syncOnce(); // sick fails once: next try 1 s later
    calls = [];
    now += 999;
    expect(await ps.syncOnce()).toMatchObject({ polled: 1, skipped: 1 });
    expect(calls).toEqual(['well']);
    calls = [];
    now += 1;
    await ps.syncOnce(); // second failure: next try 2 s later
    expect(calls.sort()).toEqual(['sick', 'well']);
    calls = [];
    now += 1999;
    await ps.syncOnce();
    expect(calls).toEqual(['well']);
    calls = [];
    now += 1;
    await ps.syncOnce();
    expect(calls.sort()).toEqual(['sick', 'well']);
  });

  it('start() keeps syncing until aborted', async () => {
    enrollReady(store, 'node1');
    const controller = new AbortController();
    answers.set('node1', async () => {
      if (calls.length >= 3) controller.abort();
      return 'on';
    });
    await sync({ intervalMs: 1 }).start(controller.signal);
    expect(calls.length).toBe(3);
  });
});
