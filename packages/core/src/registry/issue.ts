/**
 * Issues are problems before they have a position: they name a key path and what to
 * point at there. Resolving them parses the text a second time for positions, which
 * only files with problems pay for.
 */
import { keyPathId, type KeyPath } from './key-path.ts';
import { compareProblems, type Problem, type ProblemCode } from './problem.ts';
import { indexTomlPositions, type Anchor, type TomlPositions } from './toml-positions.ts';

export interface Issue {
  code: ProblemCode;
  path: KeyPath;
  anchor: Anchor;
  /** A function when the message names another place in the file (e.g. "first on line 12"). */
  message: string | ((positions: TomlPositions) => string);
}

/**
 * Positions the issues of one file and sorts them in source order. The first issue for
 * a spot (path and anchor) wins: a later one there says the same thing less well.
 */
export function resolveIssues(file: string, text: string, issues: readonly Issue[]): Problem[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const spot = `${issue.anchor}:${keyPathId(issue.path)}`;
    if (seen.has(spot)) return false;
    seen.add(spot);
    return true;
  });
  const positions = indexTomlPositions(text);
  return unique
    .map((issue): Problem => {
      const { line, col } = positions.locate(issue.path, issue.anchor);
      const message = typeof issue.message === 'string' ? issue.message : issue.message(positions);
      return { file, line, col, code: issue.code, message };
    })
    .sort(compareProblems);
}
