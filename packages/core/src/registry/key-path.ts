/**
 * Key paths: where a value sits in a provider file, as a list of table keys and array
 * indices (`['machines', 0, 'cpu', 'threads']`), and how to show one to an operator.
 */

export type KeyPath = readonly (string | number)[];

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** `machines[0].cpu.threads`, the way the key reads in TOML; quotes keys that need it. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = BARE_KEY.test(segment) ? segment : JSON.stringify(segment);
      out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}

/**
 * The table a key belongs to, for "in …" phrases: `[endpoint]` when the path is a
 * plain table header, `machines[0].cpu` when it runs through an array of tables.
 */
export function describeTable(path: KeyPath): string {
  if (path.length === 0) return 'the top-level table';
  const formatted = formatKeyPath(path);
  return path.every((s) => typeof s === 'string') ? `[${formatted}]` : formatted;
}

/** A collision-free map key for a path (`["machines",0]` differs from `["machines","0"]`). */
export function keyPathId(path: KeyPath): string {
  return JSON.stringify(path);
}

/**
 * Turns a JSON pointer (ajv's `instancePath`) into a key path, walking `data` so a
 * segment under an array becomes a number and a table key that looks like one stays a string.
 */
export function pointerToKeyPath(pointer: string, data: unknown): KeyPath {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) {
      const index = Number(segment);
      path.push(index);
      current = current[index];
    } else {
      path.push(segment);
      current = isTable(current) && Object.hasOwn(current, segment) ? current[segment] : undefined;
    }
  }
  return path;
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
