/**
 * Reads one provider file: from bytes to a validated Provider, or to every problem the
 * file has, each at its line and column. Pure: the caller reads the disk (and lstats,
 * so symlinks are never followed); nothing here throws for bad input.
 */
import { parse, TomlError } from 'smol-toml';
import type { Provider } from '../provider.ts';
import { resolveIssues, type Issue } from './issue.ts';
import { fileProblem, type Problem } from './problem.ts';
import { isProviderPath, providerIdFromPath } from './provider-path.ts';
import { semanticIssues } from './semantic-issues.ts';
import { decodeUtf8 } from './utf8.ts';
import { schemaIssues } from './validate-schema.ts';

/** Provider files above this size are refused unread: a registry is small text files. */
export const MAX_PROVIDER_FILE_BYTES = 1024 * 1024;

export interface ProviderSource {
  /** Posix path relative to the registry root, e.g. `providers/acme.toml`. */
  path: string;
  bytes: Uint8Array;
  /** What lstat saw; defaults to 'file'. A symlink's bytes are never looked at. */
  kind?: 'file' | 'symlink' | 'other';
  /**
   * The file's size when the caller knows it without reading it (lstat, git ls-tree):
   * a file over the limit can then be refused with its real size and left unread.
   * Defaults to `bytes.length`.
   */
  size?: number;
}

export interface ParsedProvider {
  path: string;
  /** Set only when the file has no problems. */
  provider?: Provider;
  /** In source order. */
  problems: Problem[];
}

export function parseProviderFile(src: ProviderSource): ParsedProvider {
  const file = src.path;
  const refuse = (problem: Problem): ParsedProvider => ({ path: file, problems: [problem] });

  if (!isProviderPath(file)) {
    return refuse(
      fileProblem(file, 'outside-providers', 'not a provider file: provider files are providers/<id>.toml, directly in providers/'),
    );
  }
  const kind = src.kind ?? 'file';
  if (kind === 'symlink') {
    return refuse(
      fileProblem(file, 'symlink', 'is a symbolic link; provider files must be regular files (a link could point outside the registry)'),
    );
  }
  if (kind !== 'file') return refuse(fileProblem(file, 'not-a-file', 'is not a regular file; provider files must be regular files'));
  const size = Math.max(src.size ?? 0, src.bytes.length);
  if (size > MAX_PROVIDER_FILE_BYTES) {
    return refuse(
      fileProblem(file, 'too-large', `is ${size} bytes; a provider file may be at most ${MAX_PROVIDER_FILE_BYTES} bytes (1 MiB)`),
    );
  }

  const decoded = decodeUtf8(src.bytes);
  if (!decoded.ok) {
    const byte = decoded.byte.toString(16).padStart(2, '0');
    return refuse({
      file,
      line: decoded.line,
      col: decoded.col,
      code: 'not-utf8',
      message: `invalid UTF-8 (byte 0x${byte}); provider files must be UTF-8 text`,
    });
  }
  const text = decoded.text;

  let data: unknown;
  try {
    data = parse(text, { integersAsBigInt: 'asNeeded' });
  } catch (error) {
    return refuse(syntaxProblem(file, error));
  }

  const newer = newerSchemaIssue(data);
  if (newer) return { path: file, problems: resolveIssues(file, text, [newer]) };

  try {
    const issues: Issue[] = [...schemaIssues(data), ...semanticIssues(data, file, providerIdFromPath(file))];
    // Valid files stop here, before any position is computed.
    if (issues.length === 0) return { path: file, provider: data as Provider, problems: [] };
    return { path: file, problems: resolveIssues(file, text, issues) };
  } catch (error) {
    // Not expected for any input; reported rather than thrown so one odd file cannot
    // stop a registry from loading.
    return refuse(fileProblem(file, 'schema', `could not be checked: ${errorMessage(error)}`));
  }
}

/** The newest provider-file schema this code understands. */
export const SUPPORTED_SCHEMA_VERSION = 1;

/**
 * A file written for a newer schema is judged by that schema, not ours: say so once,
 * instead of listing every difference as an error.
 */
function newerSchemaIssue(data: unknown): Issue | undefined {
  const version = (data as { schema?: unknown } | null)?.schema;
  const n = typeof version === 'bigint' ? Number(version) : version;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= SUPPORTED_SCHEMA_VERSION) return undefined;
  return {
    code: 'schema',
    path: ['schema'],
    anchor: 'value',
    message: `schema = ${String(version)} is newer than this nimbusctl understands (schema ${SUPPORTED_SCHEMA_VERSION}); upgrade nimbusctl to read this file`,
  };
}

/** smol-toml's message is "Invalid TOML document: <what>" plus a code excerpt; keep <what>. */
function syntaxProblem(file: string, error: unknown): Problem {
  if (error instanceof TomlError) {
    const firstLine = error.message.split('\n', 1)[0] ?? '';
    const what = firstLine.replace(/^Invalid TOML document:\s*/, '');
    return { file, line: error.line, col: error.column, code: 'toml-syntax', message: `TOML syntax error: ${what}` };
  }
  return fileProblem(file, 'toml-syntax', `could not be read as TOML: ${errorMessage(error)}`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
