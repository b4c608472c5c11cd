import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Actor } from '../audit.ts';
import { Store, type EnrollInput } from '../store.ts';

export const ADMIN: Actor = { fingerprint: 'SHA256:admin', role: 'admin' };
export const SYSTEM: Actor = { fingerprint: 'nimbusd', role: 'system' };

/** A fresh state directory under the system temp dir. */
export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'nimbus-state-'));
}

/** A clock that moves one second per reading, from a fixed start. */
export function steppingClock(start = Date.parse('2026-01-01T00:00:00Z')): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

/** A store with predictable ids (`machine-1`, `instance-1`, …) and a stepping clock. */
export function openTestStore(path: string): Store {
  const counters = { machine: 0, instance: 0 };
  return new Store({ path, clock: steppingClock(), newId: (kind) => `${kind}-${++counters[kind]}` });
}

let nextMac = 0;

/** Enrollment input for a machine called `name`, with a boot MAC no other fixture machine has. */
export function machineInput(name: string): EnrollInput {
  nextMac += 1;
  return {
    name,
    bmc: { driver: 'redfish', address: `${name}-bmc.example:443`, credentialsFile: `/etc/nimbus/${name}.pw` },
    bootMacs: [`52:54:00:AA:${(nextMac >> 8).toString(16).padStart(2, '0')}:${(nextMac & 0xff).toString(16).padStart(2, '0')}`],
  };
}

/** Enrolls a machine and walks it to `ready`. */
export function enrollReady(store: Store, name: string): string {
  const { id } = store.enrollMachine(machineInput(name), ADMIN);
  store.transition(id, 'enrolled', 'inspecting', SYSTEM);
  store.transition(id, 'inspecting', 'ready', SYSTEM);
  return id;
}
