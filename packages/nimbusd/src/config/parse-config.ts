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
const IPV4_PATTERN = '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$';

/** The schema's patterns in words (the registry already has words for the provider's). */
const PATTERN_HINTS: ReadonlyMap<string, string> = new Map([
  [LISTEN_PATTERN, 'host:port, e.g. 0.0.0.0:2222 or [::]:2222'],
  ['^/', 'an absolute path, starting with /'],
  [IPV4_PATTERN, 'an IPv4 address, e.g. 10.0.0.1'],
  ['^[0-9a-f]{64}$', '64 lower-case hex digits (sha256sum prints them)'],
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

/** The boot service's rules across keys: an address when enabled, a pool in full mode, unique image names. */
function bootFindings(raw: ConfigFile): TomlFinding[] {
  const findings: TomlFinding[] = [];
  const boot = raw.boot;
  if (boot?.enabled && boot.address === undefined) {
    findings.push({ path: ['boot', 'enabled'], message: 'boot.address is required when boot.enabled: the provisioning-network IPv4 address of this host' });
  }
  if (boot?.enabled && boot.dhcp_mode === 'full' && boot.pool === undefined) {
    findings.push({ path: ['boot', 'dhcp_mode'], message: 'boot.dhcp_mode = "full" needs a [boot.pool] (start, end, netmask) to lease addresses from' });
  }
  if (boot?.pool && ipv4Number(boot.pool.start) > ipv4Number(boot.pool.end)) {
    findings.push({ path: ['boot', 'pool', 'end'], message: `boot.pool: end ${boot.pool.end} is before start ${boot.pool.start}` });
  }
  const seen = new Set<string>();
  (raw.images ?? []).forEach((image, i) => {
    if (seen.has(image.name)) findings.push({ path: ['images', i, 'name'], message: `images[${i}]: a second image named ${JSON.stringify(image.name)}` });
    seen.add(image.name);
  });
  return findings;
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
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
  findings.push(...bootFindings(raw));
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
