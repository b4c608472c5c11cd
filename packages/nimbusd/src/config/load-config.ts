/**
 * Reads the config file from disk. `readConfig` reports an unreadable file as one more
 * problem (for check-config); `loadConfig` throws, for commands that need a config to run.
 */
import { readFileSync } from 'node:fs';
import type { Problem } from '@nimbus/core';
import type { NimbusdConfig } from './config.ts';
import { ConfigInvalidError } from './errors.ts';
import { formatProblems, parseConfig, type ParsedConfig } from './parse-config.ts';

/** A config file is a page of text; anything bigger is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export function readConfig(path: string): ParsedConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const hint = code === 'ENOENT' ? ' (create one with `nimbusd init`, or name another with --config or NIMBUSD_CONFIG)' : '';
    return refuse(path, `cannot be read: ${code}${hint}`);
  }
  if (bytes.length > MAX_CONFIG_BYTES) return refuse(path, `is ${bytes.length} bytes; a config file may be at most ${MAX_CONFIG_BYTES} bytes`);
  return parseConfig(path, bytes);
}

/** The config at `path`, or a ConfigInvalidError listing every problem. */
export function loadConfig(path: string): NimbusdConfig {
  const parsed = readConfig(path);
  if (!parsed.ok) throw new ConfigInvalidError(path, formatProblems(parsed.problems));
  return parsed.config;
}

function refuse(file: string, message: string): ParsedConfig {
  const problem: Problem = { file, line: 1, col: 1, code: 'not-a-file', message };
  return { ok: false, problems: [problem] };
}
