/**
 * Checks a parsed provider file against registry-schema/provider.schema.json, the
 * single source of truth for the file format. The schema is compiled once, when this
 * module loads; validating a valid file then costs one call of generated code.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import schema from '@nimbus/registry-schema/provider.schema.json' with { type: 'json' };
import type { Provider } from '../provider.ts';
import type { Issue } from './issue.ts';
import { keyPathId, pointerToKeyPath, type KeyPath } from './key-path.ts';
import { issueForError, missingKeysIssue, notATableIssue, type VerboseError } from './schema-messages.ts';

// ajv/dist/2020.js is CommonJS; its class is both module.exports and `.default`.
// strict: true makes a schema mistake fail here, at load, instead of validating loosely.
// verbose: true hands each error the failing value and its schema, for the messages.
const ajv = new Ajv2020.default({ allErrors: true, strict: true, verbose: true });
const validateProvider = ajv.compile<Provider>(schema);

/** Every schema error of `data`, as issues in the order ajv found them. */
export function schemaIssues(data: unknown): Issue[] {
  if (validateProvider(data)) return [];
  const issues: Issue[] = [];
  // Missing keys of one table become one issue, placed where the first was found.
  const missing = new Map<string, { slot: number; path: KeyPath; keys: string[] }>();
  for (const error of (validateProvider.errors ?? []) as VerboseError[]) {
    const path = pointerToKeyPath(error.instancePath, data);
    // A TOML date is an object to ajv, so a date where a table belongs fails only the
    // table's keywords; say what it is instead.
    if (error.data instanceof Date && (error.keyword === 'required' || error.keyword === 'additionalProperties')) {
      issues.push(notATableIssue(path, error.data));
      continue;
    }
    if (error.keyword === 'required') {
      const key = String((error.params as Record<string, unknown>)['missingProperty']);
      const group = missing.get(keyPathId(path));
      if (group) group.keys.push(key);
      else {
        missing.set(keyPathId(path), { slot: issues.length, path, keys: [key] });
        issues.push(missingKeysIssue(path, [key]));
      }
      continue;
    }
    issues.push(issueForError(error, path));
  }
  for (const { slot, path, keys } of missing.values()) issues[slot] = missingKeysIssue(path, keys);
  return issues;
}
