/**
 * The IPMI 2.0 (RMCP+) BMC driver: settings validation and client creation. All clients
 * of one driver share one UDP socket; `createIpmiDriver` lets a caller (a test, a sweep)
 * bring its own transport and retry policy.
 */
import type { BmcClient, BmcConfig, BmcDriver, ConfigProblem } from '../../driver.ts';
import { BmcConfigError } from '../../errors.ts';
import { IPMI_FEATURES, IpmiClient } from './client.ts';
import { IpmiTransport, type RetryPolicy } from './transport.ts';

export { IpmiClient } from './client.ts';
export { IpmiTransport, DEFAULT_RETRY, type RetryPolicy } from './transport.ts';

export const IPMI_DEFAULT_PORT = 623;
/** RAKP carries at most 16 bytes of user name; IPMI 2.0 passwords and K_g are at most 20 bytes. */
const MAX_USERNAME_BYTES = 16;
const MAX_KEY_BYTES = 20;

export function validateIpmiConfig(c: BmcConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (c.driver !== 'ipmi') problems.push({ setting: 'driver', message: `must be 'ipmi' for the IPMI driver, got '${String(c.driver)}'` });
  if (typeof c.host !== 'string' || c.host.trim() === '') problems.push({ setting: 'host', message: 'is required' });
  else if (/[\s/]/.test(c.host)) problems.push({ setting: 'host', message: 'must be a host name or IPv4 address, without spaces, scheme or path' });
  if (c.port !== undefined && (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535)) problems.push({ setting: 'port', message: 'must be an integer from 1 to 65535' });
  if (typeof c.username !== 'string') problems.push({ setting: 'username', message: 'is required' });
  else if (Buffer.byteLength(c.username, 'utf8') > MAX_USERNAME_BYTES) problems.push({ setting: 'username', message: `is longer than IPMI's ${MAX_USERNAME_BYTES} bytes` });
  // Never echo the password or K_g: say only what is wrong with them.
  if (typeof c.password !== 'string') problems.push({ setting: 'password', message: 'is required' });
  else if (Buffer.byteLength(c.password, 'utf8') > MAX_KEY_BYTES) problems.push({ setting: 'password', message: `is longer than IPMI's ${MAX_KEY_BYTES} bytes` });
  if (c.kg !== undefined && (typeof c.kg !== 'string' || !/^(?:[0-9a-fA-F]{2}){1,20}$/.test(c.kg))) {
    problems.push({ setting: 'kg', message: `must be hex, an even number of digits, at most ${MAX_KEY_BYTES} bytes` });
  }
  if (c.cipherSuite !== undefined && c.cipherSuite !== 3 && c.cipherSuite !== 17) problems.push({ setting: 'cipherSuite', message: 'must be 3 or 17' });
  for (const setting of ['scheme', 'tlsFingerprint', 'system'] as const) {
    if (c[setting] !== undefined) problems.push({ setting, message: 'is a Redfish setting; the IPMI driver does not use it' });
  }
  return problems;
}

export interface IpmiDriverOptions {
  /** Defaults to one socket created on first use and shared by every client of the driver. */
  transport?: IpmiTransport;
  retry?: RetryPolicy;
  keepAliveMs?: number;
}

export function createIpmiDriver(options: IpmiDriverOptions = {}): BmcDriver {
  let shared = options.transport;
  return {
    name: 'ipmi',
    protocol: 'ipmi',
    features: IPMI_FEATURES,
    validate: validateIpmiConfig,
    create(config: BmcConfig): BmcClient {
      const problems = validateIpmiConfig(config);
      if (problems.length) throw new BmcConfigError(`invalid IPMI settings: ${problems.map((p) => `${p.setting} ${p.message}`).join('; ')}`);
      shared ??= new IpmiTransport().unref();
      return new IpmiClient({
        transport: shared,
        host: config.host,
        port: config.port ?? IPMI_DEFAULT_PORT,
        username: config.username,
        password: config.password,
        ...(config.kg ? { kg: Buffer.from(config.kg, 'hex') } : {}),
        ...(config.cipherSuite ? { cipherSuite: config.cipherSuite } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
      });
    },
  };
}

export const ipmiDriver: BmcDriver = createIpmiDriver();
