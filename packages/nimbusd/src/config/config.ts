/**
 * nimbusd's configuration: the shape of the TOML file (as nimbusd.schema.json allows
 * it) and the resolved config the daemon runs with, every default filled in.
 */
import { join } from 'node:path';
import {
  DEFAULT_API_LISTEN,
  DEFAULT_BMC_CONCURRENCY,
  DEFAULT_BMC_FAILURES_BEFORE_ERROR,
  DEFAULT_POWER_SYNC_SECONDS,
  DEFAULT_LOG_LEVEL,
  DEFAULT_METRICS_LISTEN,
  DEFAULT_STATE_DIR,
  DEFAULT_TENANT_POLICY,
  HOST_KEY_FILE_NAME,
} from './defaults.ts';
import { parseListenAddress, type ListenAddress } from './listen-address.ts';

export type TenantPolicy = 'open' | 'allowlist';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The file as written; see nimbusd.schema.json for what each key means. */
export interface ConfigFile {
  provider: {
    id: string;
    name?: string;
    contact?: string;
    region?: string;
    country?: string;
    city?: string;
    currency?: string;
    images?: string[];
  };
  api?: { listen?: string; advertise?: string; host_key?: string };
  admins?: { keys?: string[]; authorized_keys?: string };
  tenants?: { policy?: TenantPolicy; signup?: string; keys?: string[]; authorized_keys?: string };
  state?: { dir?: string };
  metrics?: { enabled?: boolean; listen?: string };
  machines?: { power_sync_seconds?: number; bmc_concurrency?: number; bmc_failures_before_error?: number };
  log?: { level?: LogLevel };
}

/** What nimbusd runs with. */
export interface NimbusdConfig {
  /** The file it was read from. */
  file: string;
  provider: ConfigFile['provider'] & { images: string[] };
  api: {
    listen: ListenAddress;
    /** The endpoint for the registry; unset when the config does not say. */
    advertise?: ListenAddress;
    hostKeyPath: string;
  };
  admins: { keys: string[]; authorizedKeysFile?: string };
  tenants: { policy: TenantPolicy; signup?: string; keys: string[]; authorizedKeysFile?: string };
  stateDir: string;
  metrics: { enabled: boolean; listen: ListenAddress };
  machines: { powerSyncSeconds: number; bmcConcurrency: number; bmcFailuresBeforeError: number };
  log: { level: LogLevel };
}

/**
 * Fills in the defaults. `raw` must have passed the schema and the config checks
 * (parse-config.ts), which vouch for every listen address.
 */
export function resolveConfig(file: string, raw: ConfigFile): NimbusdConfig {
  const stateDir = raw.state?.dir ?? DEFAULT_STATE_DIR;
  const config: NimbusdConfig = {
    file,
    provider: { ...raw.provider, images: raw.provider.images ?? [] },
    api: {
      listen: listen(raw.api?.listen ?? DEFAULT_API_LISTEN),
      hostKeyPath: raw.api?.host_key ?? join(stateDir, HOST_KEY_FILE_NAME),
    },
    admins: { keys: raw.admins?.keys ?? [] },
    tenants: { policy: raw.tenants?.policy ?? DEFAULT_TENANT_POLICY, keys: raw.tenants?.keys ?? [] },
    stateDir,
    metrics: { enabled: raw.metrics?.enabled ?? true, listen: listen(raw.metrics?.listen ?? DEFAULT_METRICS_LISTEN) },
    machines: {
      powerSyncSeconds: raw.machines?.power_sync_seconds ?? DEFAULT_POWER_SYNC_SECONDS,
      bmcConcurrency: raw.machines?.bmc_concurrency ?? DEFAULT_BMC_CONCURRENCY,
      bmcFailuresBeforeError: raw.machines?.bmc_failures_before_error ?? DEFAULT_BMC_FAILURES_BEFORE_ERROR,
    },
    log: { level: raw.log?.level ?? DEFAULT_LOG_LEVEL },
  };
  if (raw.api?.advertise !== undefined) config.api.advertise = listen(raw.api.advertise);
  if (raw.admins?.authorized_keys !== undefined) config.admins.authorizedKeysFile = raw.admins.authorized_keys;
  if (raw.tenants?.signup !== undefined) config.tenants.signup = raw.tenants.signup;
  if (raw.tenants?.authorized_keys !== undefined) config.tenants.authorizedKeysFile = raw.tenants.authorized_keys;
  return config;
}

function listen(text: string): ListenAddress {
  const address = parseListenAddress(text);
  if (!address) throw new Error(`unchecked listen address ${JSON.stringify(text)}`);
  return address;
}
