/**
 * From the config file's bytes to a resolved config, or to every problem the file has
 * at its line and column. Pure apart from the schema compiled at load: the caller reads
 * the file, so this is what tests and `check-config` share.
 */
import { compileTomlDocument, formatProblem, type Problem, type TomlFinding } from '@nimbus/core';
import schema from './nimbusd.schema.json' with { type: 'json' };
import { resolveConfig, type ConfigFile, type NimbusdConfig } from './config.ts';
import { DEFAULT_API_LISTEN, DEFAULT_METRICS_LISTEN } from './defaults.ts';
import { formatListenAddress, parseListenAddress } from './listen-address.ts';

const LISTEN_PATTERN = '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$';

/** The schema's patterns in words (the registry already has words for the provider's). */
const PATTERN_HINTS: ReadonlyMap<string, string> = new Map([
  [LISTEN_PATTERN, 'host:port, e.g. 0.0.0.0:2222 or [::]:2222'],
  ['^/', 'an absolute path, starting with /'],
]);

export type ParsedConfig = { ok: true; config: NimbusdConfig; problems: [] } | { ok: false; problems: Problem[] };

const checkDocument = compileTomlDocument<ConfigFile>(schema, { check: configFindings, patternHints: PATTERN_HINTS });

/** `file` labels the problems and is kept in the config as where it came from. */
export function parseConfig(file: string, source: string | Uint8Array): ParsedConfig {
  const result = checkDocument(file, source);
  if (!result.ok) return result;
  return { ok: true, config: resolveConfig(file, result.value), problems: [] };
}

/** Every problem in the `file:line:col: message` form. */
export function formatProblems(problems: readonly Problem[]): string[] {
  return problems.map(formatProblem);
}

/** What the schema cannot say: port ranges, and two listeners on one address. */
function configFindings(raw: ConfigFile): TomlFinding[] {
  const findings: TomlFinding[] = [];
  const addresses: [path: string[], text: string | undefined][] = [
    [['api', 'listen'], raw.api?.listen],
    [['api', 'advertise'], raw.api?.advertise],
    [['metrics', 'listen'], raw.metrics?.listen],
  ];
  for (const [path, text] of addresses) {
    if (text !== undefined && !parseListenAddress(text)) {
      findings.push({ path, code: 'out-of-range', message: `${path.join('.')}: ${JSON.stringify(text)} has no port from 1 to 65535` });
    }
  }
  if (findings.length > 0) return findings;

  const api = parseListenAddress(raw.api?.listen ?? DEFAULT_API_LISTEN)!;
  const metrics = parseListenAddress(raw.metrics?.listen ?? DEFAULT_METRICS_LISTEN)!;
  const wildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';
  const clash = api.port === metrics.port && (api.host === metrics.host || wildcard(api.host) || wildcard(metrics.host));
  if (raw.metrics?.enabled !== false && clash) {
    // Point at whichever of the two the file writes; the default one is not in the file.
    const path = raw.metrics?.listen !== undefined ? ['metrics', 'listen'] : ['api', 'listen'];
    findings.push({
      path,
      message: `${path.join('.')}: the SSH API (${formatListenAddress(api)}) and /metrics (${formatListenAddress(metrics)}) cannot share port ${api.port}`,
    });
  }
  return findings;
}
