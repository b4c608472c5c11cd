/**
 * Which machine class each enrolled machine belongs to. The state store's machines
 * table has no class column yet, so the assignment lives beside it in
 * `<state dir>/machine-classes.json`, written whole to a temporary file and renamed, so
 * a crash leaves the old file or the new one. A machine with no entry is in
 * DEFAULT_MACHINE_CLASS.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateStoreError } from '../state/errors.ts';

export const CLASS_ASSIGNMENTS_FILE = 'machine-classes.json';
/** The class of a machine enrolled without `--class`. */
export const DEFAULT_MACHINE_CLASS = 'default';
/** The registry's pattern for a machine class id (registry-schema/provider.schema.json). */
export const MACHINE_CLASS_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Machine id → class id. */
export type ClassAssignments = Record<string, string>;

export function readClassAssignments(stateDir: string): ClassAssignments {
  const path = join(stateDir, CLASS_ASSIGNMENTS_FILE);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new StateStoreError(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new StateStoreError(`${path} must map machine ids to class ids`);
  }
  return parsed as ClassAssignments;
}

export function writeClassAssignments(stateDir: string, assignments: ClassAssignments): void {
  const path = join(stateDir, CLASS_ASSIGNMENTS_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  const sorted = Object.fromEntries(Object.entries(assignments).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(tmp, `${JSON.stringify(sorted, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export function classOf(assignments: ClassAssignments, machineId: string): string {
  return assignments[machineId] ?? DEFAULT_MACHINE_CLASS;
}
