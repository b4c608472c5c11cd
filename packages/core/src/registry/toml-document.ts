/**
 * Checks any TOML document (a config file, not only a provider file) against a JSON
 * Schema and reports every problem at its line and column, in the same words and
 * `file:line:col: message` form as the registry's provider files. Pure: the caller reads
 * the file. The schema is compiled once, when the checker is made.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import { parse, TomlError } from 'smol-toml';
import { resolveIssues, type Issue } from './issue.ts';
import { showValue } from './describe-value.ts';
import { formatKeyPath, keyPathId, pointerToKeyPath, type KeyPath } from './key-path.ts';
import { fileProblem, type Problem, type ProblemCode } from './problem.ts';
import { issueForError, missingKeysIssue, notATableIssue, type VerboseError } from './schema-messages.ts';
import type { Anchor } from './toml-positions.ts';
import { decodeUtf8 } from './utf8.ts';

/** A finding of the caller's own checks (ones a schema cannot say), before it has a position. */
export interface TomlFinding {
  /** Where in the document, e.g. `['api', 'listen']`. */
  path: readonly (string | number)[];
  message: string;
  /** What to point at; defaults to the value. */
  anchor?: Anchor;
  /** Defaults to `inconsistent`. */
  code?: ProblemCode;
}

export type TomlDocumentResult<T> =
  | { ok: true; value: T; problems: [] }
  | { ok: false; problems: Problem[] };

export interface TomlDocumentOptions<T> {
  /** Runs only on a document the schema accepts, so it may trust the shape of `value`. */
  check?: (value: T) => readonly TomlFinding[];
  /**
   * What a value matching each of the schema's patterns looks like, in words, keyed by
   * the pattern text, so a pattern error never shows a bare regular expression. The
   * registry's own hints apply to patterns missing here.
   */
  patternHints?: ReadonlyMap<string, string>;
}

/** Checks one document; `file` is only used to label the problems. */
export type TomlDocumentChecker<T> = (file: string, source: string | Uint8Array) => TomlDocumentResult<T>;

/**
 * Compiles `schema` (JSON Schema 2020-12) into a checker. ajv runs in strict mode, so a
 * mistake in the schema throws here rather than validating loosely later.
 */
export function compileTomlDocument<T>(schema: object, options: TomlDocumentOptions<T> = {}): TomlDocumentChecker<T> {
  // ajv/dist/2020.js is CommonJS; its class is both module.exports and `.default`.
  const ajv = new Ajv2020.default({ allErrors: true, strict: true, verbose: true });
  const validate = ajv.compile<T>(schema);

  return (file, source) => {
    let text: string;
    if (typeof source === 'string') text = source;
    else {
      const decoded = decodeUtf8(source);
      if (!decoded.ok) {
        const byte = decoded.byte.toString(16).padStart(2, '0');
        const message = `invalid UTF-8 (byte 0x${byte}); the file must be UTF-8 text`;
        return { ok: false, problems: [{ file, line: decoded.line, col: decoded.col, code: 'not-utf8', message }] };
      }
      text = decoded.text;
    }

    let data: unknown;
    try {
      data = parse(text, { integersAsBigInt: 'asNeeded' });
    } catch (error) {
      return { ok: false, problems: [syntaxProblem(file, error)] };
    }

    let issues: Issue[];
    if (validate(data)) {
      const findings = options.check?.(data) ?? [];
      if (findings.length === 0) return { ok: true, value: data, problems: [] };
      issues = findings.map((f) => ({ code: f.code ?? 'inconsistent', path: f.path, anchor: f.anchor ?? 'value', message: f.message }));
    } else {
      issues = issuesOf((validate.errors ?? []) as VerboseError[], data, options.patternHints);
    }
    return { ok: false, problems: resolveIssues(file, text, issues) };
  };
}

/** ajv's errors as issues; the missing keys of one table become one issue. `hints` say in words what a pattern expects. */
export function issuesOf(errors: readonly VerboseError[], data: unknown, hints: ReadonlyMap<string, string> | undefined): Issue[] {
  const issues: Issue[] = [];
  const missing = new Map<string, { slot: number; path: KeyPath; keys: string[] }>();
  for (const error of errors) {
    const path = pointerToKeyPath(error.instancePath, data);
    // A TOML date is an object to ajv: a date where a table belongs fails only the table's keywords.
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
    const hint = error.keyword === 'pattern' ? hints?.get(String((error.params as Record<string, unknown>)['pattern'])) : undefined;
    if (hint !== undefined) {
      const message = `${formatKeyPath(path)}: ${showValue(error.data)} is not valid here; expected ${hint}`;
      issues.push({ code: 'schema', path, anchor: 'value', message });
      continue;
    }
    issues.push(issueForError(error, path));
  }
  for (const { slot, path, keys } of missing.values()) issues[slot] = missingKeysIssue(path, keys);
  return issues;
}

/** smol-toml's message is "Invalid TOML document: <what>" plus a code excerpt; keep <what>. */
function syntaxProblem(file: string, error: unknown): Problem {
  if (error instanceof TomlError) {
    const what = (error.message.split('\n', 1)[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
    return { file, line: error.line, col: error.column, code: 'toml-syntax', message: `TOML syntax error: ${what}` };
  }
  return fileProblem(file, 'toml-syntax', `could not be read as TOML: ${error instanceof Error ? error.message : String(error)}`);
}
