import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPeer, type Peer } from '../bmc/drivers/redfish/testdata/emulator-peer.ts';
import type { Store } from '../state/store.ts';
import { ADMIN, SYSTEM, openTestStore, tempStateDir } from '../state/testdata/fixtures.ts';
import { machineBmcConnector } from './machine-bmc.ts';
import { Reconciler } from './reconciler.ts';
import { inspectOutOfBand, releaseToPool } from './steps.ts';

let peer: Peer;
let secrets: string;
beforeAll(async () => {
  peer = await startPeer('public-rackmount1');
  secrets = mkdtempSync(join(tmpdir(), 'nimbus-reconcile-'));
});
afterAll(() => peer.child.kill());

let store: Store;
beforeEach(() => {
  store = openTestStore(join(tempStateDir(), 'nimbusd.sqlite'));
});
afterEach(() => store.close());

function enrollAtPeer(name: string, password = 'password'): string {
  const file = join(secrets, `${name}.pw`);
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  const { host } = new URL(peer.url);
  return store.enrollMachine(
    { name, bmc: { driver: 'redfish', address: host, username: 'admin', credentialsFile: file, options: { scheme: 'http' } }, bootMacs: [`52:54:00:bb:00:${name.length.toString(16).padStart(2, '0')}`] },
    ADMIN,
  ).id;
}

function reconciler(): Reconciler {
  const options = { store, connect: machineBmcConnector(), retryBaseMs: 10 };
  return new Reconciler({ store, steps: { inspecting: inspectOutOfBand(options), releasing: releaseToPool(options) }, intervalMs: 50 });
}

describe('the reconcile loop, against the Redfish emulator', () => {
  it('finishes an inspection a previous run left half done: inventory kept, machine ready', async () => {
    const id = enrollAtPeer('n1');
    store.transition(id, 'enrolled', 'inspecting', SYSTEM); // then "the daemon crashed"
    const r = reconciler();
    r.pass(new AbortController().signal);
    await r.idle();
    const machine = store.getMachine(id);
    expect(machine.state).toBe('ready');
    expect(machine.inventory?.data).toMatchObject({ system: { manufacturer: expect.any(String) }, nics: expect.any(Array) });
    expect(store.verifyAudit().ok).toBe(true);
  });

  it('powers a released machine off and returns it to the pool, freeing its instance', async () => {
    const id = enrollAtPeer('n22');
    store.transition(id, 'enrolled', 'inspecting', SYSTEM);
    store.transition(id, 'inspecting', 'ready', SYSTEM);
    const { instance } = store.allocate({ tenant: 'SHA256:t', request: {}, idempotencyKey: 'k', actor: ADMIN });
    store.release(instance.id, ADMIN);
    const r = reconciler();
    r.pass(new AbortController().signal);
    await r.idle();
    expect(store.getMachine(id).state).toBe('ready');
    expect(store.getInstance(instance.id).state).toBe('released');
    const system = await peer.get('/redfish/v1/Systems/437XR1138R2');
    expect(system.PowerState).toBe('Off');
  });

  it('sends a machine whose BMC refuses the credentials to error at once, with the class and a hint naming the password file', async () => {
    const id = enrollAtPeer('n333', 'wrong-password');
    store.transition(id, 'enrolled', 'inspecting', SYSTEM);
    const r = reconciler();
    r.pass(new AbortController().signal);
    await r.idle();
    const machine = store.getMachine(id);
    expect(machine.state).toBe('error');
    expect(machine.lastError).toMatchObject({ class: 'bmc', message: expect.stringContaining('after 1 attempt'), hint: expect.stringContaining(join(secrets, 'n333.pw')) });
    expect(machine.lastError?.message).not.toContain('wrong-password');
  });

  it('runs a step once per machine however many passes come, and picks up changes while running', async () => {
    const id = enrollAtPeer('n4444');
    let calls = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const r = new Reconciler({
      store,
      steps: {
        inspecting: async (m) => {
          calls += 1;
          await gate;
          store.transition(m.id, 'inspecting', 'ready', SYSTEM);
        },
      },
      intervalMs: 10,
    });
    const stop = new AbortController();
    const running = r.run(stop.signal);
    store.transition(id, 'enrolled', 'inspecting', SYSTEM); // a change: the loop wakes up
    await new Promise((resolve) => setTimeout(resolve, 100)); // ~10 passes while the step waits
    expect(r.busy).toEqual([id]);
    release();
    await r.idle();
    stop.abort();
    await running;
    expect(calls).toBe(1);
    expect(store.getMachine(id).state).toBe('ready');
  });

  it("hands a machine its next state's step at once, and does not spin on a step that leaves it where it was", async () => {
    const moving = enrollAtPeer('n55555');
    const staying = enrollAtPeer('n666666');
    store.transition(moving, 'enrolled', 'inspecting', SYSTEM);
    store.transition(staying, 'enrolled', 'inspecting', SYSTEM);
    store.transition(staying, 'inspecting', 'error', SYSTEM, { error: 'parked for the test' });
    const calls: string[] = [];
    const r = new Reconciler({
      store,
      steps: {
        inspecting: async (m) => {
          calls.push(`inspect ${m.name}`);
          store.transition(m.id, 'inspecting', 'error', SYSTEM, { error: 'moved on' });
        },
        error: async (m) => {
          calls.push(`error ${m.name}`);
        },
      },
      intervalMs: 60_000,
    });
    const stop = new AbortController();
    const running = r.run(stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop.abort();
    await running;
    // The moved machine's next step ran without waiting a minute for the next pass; a step that
    // changes nothing ran once per pass (the first, and one woken by the other machine's change), not in a loop.
    expect(calls.filter((c) => c === 'inspect n55555')).toHaveLength(1);
    expect(calls).toContain('error n55555');
    expect(calls.filter((c) => c === 'error n666666').length).toBeLessThanOrEqual(2);
  });
});
