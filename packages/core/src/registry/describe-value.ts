/**
 * Short, safe descriptions of parsed TOML values for messages ("got the string "22"").
 * Never throws, whatever the value: bigints and dates do not go through JSON.stringify.
 */

const MAX_SHOWN = 40;

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'bigint') return `the integer ${value}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${showNumber(value)}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (value instanceof Date) return 'a date or time';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'a table';
  return 'nothing';
}

/** A value as it would appear in TOML, for messages that already say what it is. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return showNumber(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return describeValue(value);
}

/** TOML spells the non-finite floats inf and nan. */
function showNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

export function quote(s: string): string {
  const shown = s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
  return JSON.stringify(shown);
}
