/**
 * Turns one ajv error into an issue an operator can act on: the key path in TOML terms,
 * what was expected and what was found. `required` errors are grouped by the caller
 * (validate-schema.ts) so one table gets one "missing keys" problem.
 */
import type { ErrorObject } from 'ajv';
import { closestKey } from './closest-key.ts';
import { describeValue, showValue } from './describe-value.ts';
import type { Issue } from './issue.ts';
import { describeTable, formatKeyPath, type KeyPath } from './key-path.ts';
import { patternHint } from './pattern-hints.ts';

/** ajv built with `verbose: true` adds the failing value and the schema that holds the keyword. */
export type VerboseError = ErrorObject & { data?: unknown; parentSchema?: Record<string, unknown> };

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean',
  object: 'a table',
  array: 'an array',
  null: 'nothing',
};

export function issueForError(error: VerboseError, path: KeyPath): Issue {
  const at = formatKeyPath(path);
  const value = error.data;
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema ?? {};
  switch (error.keyword) {
    case 'type':
      return typeIssue(path, params['type'], value, parent);
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const known = Object.keys(asRecord(parent['properties']));
      const suggestion = closestKey(key, known);
      const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
      return {
        code: 'unknown-key',
        path: [...path, key],
        anchor: 'key',
        message: `unknown key ${JSON.stringify(key)} in ${describeTable(path)}${hint}`,
      };
    }
    case 'const':
      return valueIssue(path, `${at}: must be ${showValue(params['allowedValue'])}, got ${showValue(value)}`);
    case 'enum': {
      const allowed = (Array.isArray(params['allowedValues']) ? params['allowedValues'] : []).map(showValue);
      return valueIssue(path, `${at}: must be one of ${allowed.join(', ')}; got ${showValue(value)}`);
    }
    case 'pattern': {
      const pattern = String(params['pattern']);
      const hint = patternHint(pattern);
      const shape = hint ?? describeFallback(parent, pattern);
      return valueIssue(path, `${at}: ${showValue(value)} is not valid here; expected ${shape}`);
    }
    case 'minimum':
      return rangeIssue(path, `${at}: ${showValue(value)} is below the minimum ${String(params['limit'])}`);
    case 'maximum':
      return rangeIssue(path, `${at}: ${showValue(value)} is above the maximum ${String(params['limit'])}`);
    case 'exclusiveMinimum':
      return rangeIssue(path, `${at}: must be greater than ${String(params['limit'])}, got ${showValue(value)}`);
    case 'exclusiveMaximum':
      return rangeIssue(path, `${at}: must be less than ${String(params['limit'])}, got ${showValue(value)}`);
    case 'minLength': {
      const limit = Number(params['limit']);
      return valueIssue(path, limit === 1 ? `${at}: must not be empty` : `${at}: must be at least ${limit} characters long`);
    }
    case 'maxLength':
      return valueIssue(path, `${at}: must be at most ${String(params['limit'])} characters long, got ${lengthOf(value)}`);
    case 'minItems':
      return valueIssue(path, `${at}: must have at least ${entries(Number(params['limit']))}`);
    case 'maxItems':
      return valueIssue(path, `${at}: must have at most ${entries(Number(params['limit']))}, got ${arrayLength(value)}`);
    case 'uniqueItems': {
      // ajv reports the pair; point at the later entry, the one to remove.
      const [first, later] = [Number(params['i']), Number(params['j'])].sort((a, b) => a - b) as [number, number];
      const laterPath = [...path, later];
      const item = Array.isArray(value) ? value[later] : undefined;
      return valueIssue(
        laterPath,
        `${formatKeyPath(laterPath)}: ${showValue(item)} is already listed as ${formatKeyPath([...path, first])}; entries must be unique`,
      );
    }
    default:
      return valueIssue(path, `${at === '' ? 'the file' : at}: ${error.message ?? 'is not valid'}`);
  }
}

/** A table of the wrong type, e.g. a date where `[location]` belongs, reported as a type error. */
export function notATableIssue(path: KeyPath, value: unknown): Issue {
  return valueIssue(path, `${formatKeyPath(path)}: expected a table, got ${describeValue(value)}`);
}

/** One issue per table for its missing keys, at the table's header. */
export function missingKeysIssue(path: KeyPath, keys: readonly string[]): Issue {
  const list = keys.map((k) => JSON.stringify(k)).join(', ');
  const noun = keys.length === 1 ? 'key' : 'keys';
  return { code: 'schema', path, anchor: 'table', message: `missing ${noun} ${list} in ${describeTable(path)}` };
}

/**
 * A wrong type, except that an integer too big to read exactly (a bigint from the TOML
 * parser) or inf/nan where a number belongs is a range problem, not a type problem.
 */
function typeIssue(path: KeyPath, expected: unknown, value: unknown, parent: Record<string, unknown>): Issue {
  const at = formatKeyPath(path);
  const types = (Array.isArray(expected) ? expected : [expected]).map(String);
  const numeric = types.includes('integer') || types.includes('number');
  if (numeric && typeof value === 'bigint') {
    const limit = value > 0n ? parent['maximum'] : parent['minimum'];
    const side = value > 0n ? 'above the maximum' : 'below the minimum';
    const message =
      typeof limit === 'number'
        ? `${at}: ${value} is ${side} ${limit}`
        : `${at}: ${value} is too large to be read exactly (integers must be within ±${Number.MAX_SAFE_INTEGER})`;
    return rangeIssue(path, message);
  }
  if (numeric && typeof value === 'number' && !Number.isFinite(value)) {
    return rangeIssue(path, `${at}: expected a finite number, got ${showValue(value)}`);
  }
  const wanted = types.map((t) => TYPE_NAMES[t] ?? t).join(' or ');
  return valueIssue(path, `${at}: expected ${wanted}, got ${describeValue(value)}`);
}

function valueIssue(path: KeyPath, message: string): Issue {
  return { code: 'schema', path, anchor: 'value', message };
}

function rangeIssue(path: KeyPath, message: string): Issue {
  return { code: 'out-of-range', path, anchor: 'value', message };
}

/** Without a hint, the field's own description says what it holds; the regex only as a last resort. */
function describeFallback(parent: Record<string, unknown>, pattern: string): string {
  const description = parent['description'];
  return typeof description === 'string' ? `${description} (pattern ${pattern})` : `a value matching ${pattern}`;
}

function entries(n: number): string {
  return n === 1 ? '1 entry' : `${n} entries`;
}

function lengthOf(value: unknown): string {
  return typeof value === 'string' ? `${[...value].length}` : '?';
}

function arrayLength(value: unknown): string {
  return Array.isArray(value) ? `${value.length}` : '?';
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
