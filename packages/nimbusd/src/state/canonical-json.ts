import { InvalidRequestError } from '@nimbus/core';

/**
 * JSON with object keys sorted at every level, so that equal values always serialise to the
 * same text: what the audit hash and the idempotency comparison are computed over.
 * `where` names the value in the error for anything JSON cannot carry.
 */
export function canonicalJson(value: unknown, where = 'value'): string {
  return JSON.stringify(normalise(value, where));
}

function normalise(value: unknown, where: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidRequestError(`${where}: ${value} is not a JSON number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => normalise(item, `${where}[${i}]`));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue; // as JSON.stringify does
      out[key] = normalise(item, `${where}.${key}`);
    }
    return out;
  }
  throw new InvalidRequestError(`${where}: a ${typeof value} cannot be stored as JSON`);
}
