import type { BmcClient, BmcConfig, BmcDriver, ConfigProblem } from '../../driver.ts';
import { BmcConfigError } from '../../errors.ts';
import { REDFISH_FEATURES, RedfishClient, type RedfishClientOptions } from './client.ts';
import { systemSettingProblem } from './system-select.ts';
import { normalizeFingerprint } from './tls.ts';

export { RedfishClient, type RedfishClientOptions } from './client.ts';

/** The Redfish port when the config names none. */
export const DEFAULT_REDFISH_PORT = 443;
/** With `scheme: 'http'` (emulators, labs) the port defaults to HTTP's. */
export const DEFAULT_REDFISH_HTTP_PORT = 80;

function validate(config: BmcConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.driver !== 'redfish') problems.push({ setting: 'driver', message: `expected "redfish", got "${String(config.driver)}"` });
  if (typeof config.host !== 'string' || config.host.trim() === '') problems.push({ setting: 'host', message: 'is required' });
  else if (/[/\s]/.test(config.host) || /^[a-z][a-z0-9+.-]*:\/\//i.test(config.host)) {
    problems.push({ setting: 'host', message: `must be a host name or address without scheme or path, got "${config.host}"` });
  }
  if (config.port !== undefined && !(Number.isInteger(config.port) && config.port >= 1 && config.port <= 65535)) {
    problems.push({ setting: 'port', message: `must be a whole number from 1 to 65535, got ${String(config.port)}` });
  }
  if (typeof config.username !== 'string' || config.username === '') problems.push({ setting: 'username', message: 'is required' });
  // Say that it is missing, never what it is.
  if (typeof config.password !== 'string' || config.password === '') problems.push({ setting: 'password', message: 'is required' });
  if (config.scheme !== undefined && config.scheme !== 'https' && config.scheme !== 'http') {
    problems.push({ setting: 'scheme', message: `must be "https" or "http", got "${String(config.scheme)}"` });
  }
  if (config.tlsFingerprint !== undefined) {
    if (normalizeFingerprint(config.tlsFingerprint) === null) {
      problems.push({ setting: 'tlsFingerprint', message: 'must be a SHA-256 fingerprint: 64 hex digits, colons allowed' });
    } else if (config.scheme === 'http') {
      problems.push({ setting: 'tlsFingerprint', message: 'has no meaning with scheme "http"' });
    }
  }
  if (config.system !== undefined) {
    const problem = systemSettingProblem(config.system);
    if (problem !== undefined) problems.push({ setting: 'system', message: problem });
  }
  for (const setting of ['kg', 'cipherSuite'] as const) {
    if (config[setting] !== undefined) problems.push({ setting, message: 'is an IPMI setting; the Redfish driver does not use it' });
  }
  return problems;
}

function create(config: BmcConfig): BmcClient {
  const problems = validate(config);
  if (problems.length > 0) throw new BmcConfigError(`Redfish BMC ${String(config.host)}: ${problems.map((p) => `${p.setting} ${p.message}`).join('; ')}`);
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const scheme = config.scheme ?? 'https';
  const origin = `${scheme}://${host}:${config.port ?? (scheme === 'http' ? DEFAULT_REDFISH_HTTP_PORT : DEFAULT_REDFISH_PORT)}`;
  const options: RedfishClientOptions = { origin, username: config.username, password: config.password };
  if (config.tlsFingerprint !== undefined) options.tlsFingerprint = config.tlsFingerprint;
  if (config.system !== undefined) options.system = config.system;
  return new RedfishClient(options);
}

/** Redfish over HTTPS: sessions, ETags, ComputerSystem.Reset, Boot override, VirtualMedia. */
export const redfishDriver: BmcDriver = {
  name: 'redfish',
  protocol: 'redfish',
  features: REDFISH_FEATURES,
  validate,
  create,
};
