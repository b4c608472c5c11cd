/**
 * From command-line settings to a connected BMC client: read the secrets from their files
 * or the environment, check everything with the driver's `validate` before any network
 * call, and let go of the session afterwards.
 */
import type { BmcClient, BmcConfig, ConfigProblem } from '../bmc/driver.ts';
import { bmcDriver, type BmcDriverName } from '../bmc/drivers/index.ts';
import { BmcSettingsError } from './errors.ts';
import { readSecretFile } from './secret-file.ts';

/** Where the password comes from when there is no `--password-file`. Never argv: argv is visible to every user of the host. */
export const PASSWORD_ENV = 'NIMBUS_BMC_PASSWORD';

/** The connection settings as the command line gives them (flag names, secrets as file paths). */
export interface BmcConnectionSettings {
  driver: BmcDriverName;
  host: string;
  port?: number | undefined;
  user: string;
  passwordFile?: string | undefined;
  scheme?: 'http' | 'https' | undefined;
  tlsFingerprint?: string | undefined;
  cipherSuite?: 3 | 17 | undefined;
  kgFile?: string | undefined;
  system?: string | undefined;
}

/** Which flag (or variable) the user changes to fix a problem with each setting. */
const SETTING_SOURCE: Record<keyof BmcConfig, string> = {
  driver: '--driver',
  host: '--host',
  port: '--port',
  username: '--user',
  password: `the password (--password-file or ${PASSWORD_ENV})`,
  kg: '--kg-file',
  cipherSuite: '--cipher-suite',
  scheme: '--scheme',
  tlsFingerprint: '--tls-fingerprint',
  system: '--system',
};

/** `--user is longer than IPMI's 16 bytes`: the problem as the user can act on it. */
export function describeProblem(problem: ConfigProblem): string {
  return `${SETTING_SOURCE[problem.setting] ?? problem.setting} ${problem.message}`;
}

// Settings only one driver reads; giving them to the other is a mistake worth naming.
const DRIVER_ONLY: readonly { setting: keyof BmcConnectionSettings; config: keyof BmcConfig; driver: BmcDriverName }[] = [
  { setting: 'scheme', config: 'scheme', driver: 'redfish' },
  { setting: 'tlsFingerprint', config: 'tlsFingerprint', driver: 'redfish' },
  { setting: 'system', config: 'system', driver: 'redfish' },
  { setting: 'cipherSuite', config: 'cipherSuite', driver: 'ipmi' },
  { setting: 'kgFile', config: 'kg', driver: 'ipmi' },
];

/**
 * Builds the driver config and checks it. Throws `SecretFileError` for an unusable
 * password or K_g file and `BmcSettingsError` listing every problem otherwise.
 */
export function bmcConfigFrom(settings: BmcConnectionSettings, env: NodeJS.ProcessEnv): BmcConfig {
  const problems: ConfigProblem[] = [];
  let password: string | undefined;
  if (settings.passwordFile !== undefined) password = readSecretFile(settings.passwordFile, '--password-file');
  else if (env[PASSWORD_ENV]) password = env[PASSWORD_ENV];
  if (password === undefined) problems.push({ setting: 'password', message: 'is required' });

  const config: BmcConfig = { driver: settings.driver, host: settings.host, username: settings.user, password: password ?? '' };
  if (settings.port !== undefined) config.port = settings.port;
  if (settings.scheme !== undefined) config.scheme = settings.scheme;
  if (settings.tlsFingerprint !== undefined) config.tlsFingerprint = settings.tlsFingerprint;
  if (settings.system !== undefined) config.system = settings.system;
  if (settings.cipherSuite !== undefined) config.cipherSuite = settings.cipherSuite;
  if (settings.kgFile !== undefined) config.kg = readSecretFile(settings.kgFile, '--kg-file').trim();

  for (const only of DRIVER_ONLY) {
    if (settings[only.setting] !== undefined && settings.driver !== only.driver) {
      problems.push({ setting: only.config, message: `is ${only.driver === 'ipmi' ? 'an IPMI' : 'a Redfish'} setting; the ${settings.driver === 'ipmi' ? 'IPMI' : 'Redfish'} driver does not use it` });
    }
  }
  for (const p of bmcDriver(settings.driver).validate(config)) {
    // A missing password is already said once, with how to give one.
    if (p.setting === 'password' && password === undefined) continue;
    if (problems.some((q) => q.setting === p.setting)) continue;
    problems.push(p);
  }
  if (problems.length > 0) throw new BmcSettingsError(problems, problems.map(describeProblem));
  return config;
}

/** Connects, runs `use`, and ends the session whatever `use` did. */
export async function withBmc<T>(config: BmcConfig, use: (client: BmcClient) => Promise<T>): Promise<T> {
  const client = bmcDriver(config.driver).create(config);
  try {
    return await use(client);
  } finally {
    // Failing to log out must not turn a done power-off into a reported failure:
    // the BMC expires the session on its own.
    await client.close().catch(() => undefined);
  }
}
