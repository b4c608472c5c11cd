/**
 * nimbusd 0.1 kept each machine's class in `<state dir>/machine-classes.json` beside the
 * store. The store has a class column now; the first open of an old state dir moves the
 * file's assignments into it (one audited transaction per machine) and renames the file,
 * so the import runs once and the old file stays for an operator to look at.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, StateStoreError } from '../state/errors.ts';
import type { Store } from '../state/store.ts';

export const LEGACY_CLASS_FILE = 'machine-classes.json';

/** Imports the old class file if there is one; returns how many machines it set. */
export function importLegacyClassAssignments(store: Store, stateDir: string): number {
  const path = join(stateDir, LEGACY_CLASS_FILE);
  if (!existsSync(path)) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new StateStoreError(`${path} is not valid JSON: ${(err as Error).message}; fix or remove it`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new StateStoreError(`${path} must map machine ids to class ids; fix or remove it`);
  }
  let count = 0;
  for (const [machineId, klass] of Object.entries(parsed as Record<string, string>)) {
    try {
      store.setMachineClass(machineId, klass, { fingerprint: 'nimbusd:upgrade', role: 'admin' });
      count += 1;
    } catch (err) {
      // A machine removed since is simply not there any more.
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  renameSync(path, `${path}.imported`);
  return count;
}
