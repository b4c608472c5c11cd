/**
 * Checks a parsed provider file against registry-schema/provider.schema.json, the
 * single source of truth for the file format. The schema is compiled once, when this
 * module loads; validating a valid file then costs one call of generated code.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import schema from '@nimbus/registry-schema/provider.schema.json' with { type: 'json' };
import type { Provider } from '../provider.ts';
import type { Issue } from './issue.ts';
import type { VerboseError } from './schema-messages.ts';
import { issuesOf } from './toml-document.ts';

// ajv/dist/2020.js is CommonJS; its class is both module.exports and `.default`.
// strict: true makes a schema mistake fail here, at load, instead of validating loosely.
// verbose: true hands each error the failing value and its schema, for the messages.
const ajv = new Ajv2020.default({ allErrors: true, strict: true, verbose: true });
const validateProvider = ajv.compile<Provider>(schema);

/** Every schema error of `data`, as issues in the order ajv found them. */
export function schemaIssues(data: unknown): Issue[] {
  if (validateProvider(data)) return [];
  return issuesOf((validateProvider.errors ?? []) as VerboseError[], data, undefined);
}
