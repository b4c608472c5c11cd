import type { ParsedProvider } from '@nimbus/core';

/** A parse result as the parse index stores it: JSON text, so it crosses threads and into SQLite as is. */
export interface SerializedParse {
  path: string;
  /** The Provider as JSON; null when the file has problems. */
  provider: string | null;
  /** The Problem[] as JSON. */
  problems: string;
}

export function serializeParsed(parsed: ParsedProvider): SerializedParse {
  return {
    path: parsed.path,
    provider: parsed.provider ? JSON.stringify(parsed.provider) : null,
    problems: JSON.stringify(parsed.problems),
  };
}
