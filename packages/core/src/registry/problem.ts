/**
 * A problem found in a registry: one finding about one file, at a 1-based line and
 * column, with a stable `code` that callers branch on (the message is for people).
 */

export type ProblemCode =
  | 'not-utf8'
  | 'too-large'
  | 'symlink'
  | 'not-a-file'
  | 'outside-providers'
  | 'toml-syntax'
  | 'unknown-key'
  | 'schema'
  | 'out-of-range'
  | 'id-mismatch'
  | 'duplicate-provider'
  | 'duplicate-machine'
  | 'inconsistent'
  | 'ownership';

export interface Problem {
  /** The file's path relative to the registry root, as the caller gave it. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units like an editor's column counter. */
  col: number;
  code: ProblemCode;
  message: string;
}

/** The `file:line:col: message` form editors and CI annotations understand. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** A problem that concerns the whole file, so it points at its start. */
export function fileProblem(file: string, code: ProblemCode, message: string): Problem {
  return { file, line: 1, col: 1, code, message };
}

/** Source order: by line, then column; the sort is stable, so ties keep their order. */
export function compareProblems(a: Problem, b: Problem): number {
  return a.line - b.line || a.col - b.col;
}
