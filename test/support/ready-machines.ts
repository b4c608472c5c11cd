/**
 * Machines for a test site or benchmark through the built state store (the code the built
 * `nimbusd` runs, so the schema matches): faster than a CLI run per machine, which matters
 * from a handful of machines under load to 10,000. Each is enrolled with the BMC settings
 * given and walked to `ready` (as inspection leaves it) or to `inspecting` (for the
 * daemon's reconcile loop to inspect). Use while no daemon runs on the state dir.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NIMBUSD_BIN } from './cli.ts';

export const BUILT_STATE_MODULE = join(NIMBUSD_BIN, '..', '..', 'dist', 'state', 'index.js');

type Actor = { fingerprint: string; role: 'admin' | 'system' };

/** A machine's BMC as the store keeps it (the password stays in its file). */
export interface StoredBmc {
  driver: 'ipmi' | 'redfish';
  /** `host` or `host:port`. */
  address: string;
  username: string;
  credentialsFile: string;
  /** Non-secret driver settings: `scheme`, `system`, `cipherSuite`, … */
  options?: Record<string, unknown>;
}

/** The part of the built store this module drives (the package exports no store). */
interface BuiltStore {
  readonly db: { exec(sql: string): void };
  enrollMachine(input: { name: string; bmc: StoredBmc; bootMacs: string[] }, actor: Actor): { id: string };
  transition(id: string, from: string, to: string, actor: Actor, detail?: Record<string, unknown>): unknown;
  close(): void;
}

interface StoreModule {
  Store: new (options: { path: string; clock: () => Date }) => BuiltStore;
  stateDbPath(stateDir: string): string;
}

const SETUP: Actor = { fingerprint: 'test-setup', role: 'system' };

async function openBuiltStore(stateDir: string): Promise<BuiltStore> {
  if (!existsSync(BUILT_STATE_MODULE)) throw new Error(`nimbusd is not built (${BUILT_STATE_MODULE} is missing): run ./scripts/setup first`);
  const { Store, stateDbPath } = (await import(pathToFileURL(BUILT_STATE_MODULE).href)) as StoreModule;
  return new Store({ path: stateDbPath(stateDir), clock: () => new Date() });
}

export interface EnrollMachinesOptions {
  /** Names are `<prefix><n>`; default `node`. */
  namePrefix?: string;
  /**
   * Where to leave them: `ready` (default), as a finished inspection would, or
   * `inspecting`, for the next `nimbusd serve`'s reconcile loop to inspect out of band.
   */
  until?: 'inspecting' | 'ready';
  /**
   * Commit without waiting for the disk (`synchronous = OFF`) while enrolling. For
   * benchmark set-up of thousands of machines: a crash then may lose them, which a
   * benchmark does not care about.
   */
  unsynced?: boolean;
}

/** Enrolls `count` machines, the n-th (from 1) with BMC `bmcOf(n)`, and walks each to `options.until`. Returns their ids in order. */
export async function enrollMachines(stateDir: string, count: number, bmcOf: (n: number) => StoredBmc, options: EnrollMachinesOptions = {}): Promise<string[]> {
  const store = await openBuiltStore(stateDir);
  try {
    if (options.unsynced) store.db.exec('PRAGMA synchronous = OFF');
    const prefix = options.namePrefix ?? 'node';
    const ids: string[] = [];
    for (let n = 1; n <= count; n++) {
      const { id } = store.enrollMachine(
        { name: `${prefix}${n}`, bmc: bmcOf(n), bootMacs: [`02:00:${hexByte(n >> 24)}:${hexByte(n >> 16)}:${hexByte(n >> 8)}:${hexByte(n)}`] },
        { fingerprint: 'test-setup', role: 'admin' },
      );
      store.transition(id, 'enrolled', 'inspecting', SETUP);
      if ((options.until ?? 'ready') === 'ready') store.transition(id, 'inspecting', 'ready', SETUP);
      ids.push(id);
    }
    return ids;
  } finally {
    store.close();
  }
}

function hexByte(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}
