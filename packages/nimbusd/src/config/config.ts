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
  boot?: {
    enabled?: boolean;
    address?: string;
    dhcp_mode?: DhcpMode;
    pool?: { start: string; end: string; netmask: string; router?: string; dns?: string[]; lease_seconds?: number };
    http_port?: number;
    tftp_port?: number;
    dhcp_port?: number;
    ipxe_dir?: string;
    ramdisk_dir?: string;
    pxe_timeout_seconds?: number;
    image_timeout_seconds?: number;
    ssh_timeout_seconds?: number;
  };
  images?: { name: string; file: string; format?: 'raw'; compression?: ImageCompression; sha256: string; ssh_user?: string }[];
  log?: { level?: LogLevel };
}

export type DhcpMode = 'proxy' | 'full';
export type ImageCompression = 'none' | 'gzip' | 'zstd';

/** One image of the catalog. */
export interface CatalogImage {
  name: string;
  file: string;
  format: 'raw';
  compression: ImageCompression;
  sha256: string;
  sshUser: string;
}

/** The boot service's settings, defaults filled in. */
export interface BootConfig {
  enabled: boolean;
  /** Required when enabled (the config checks say so). */
  address: string;
  dhcpMode: DhcpMode;
  pool?: { start: string; end: string; netmask: string; router?: string; dns: string[]; leaseSeconds: number };
  httpPort: number;
  tftpPort: number;
  dhcpPort: number;
  ipxeDir: string;
  ramdiskDir: string;
  pxeTimeoutSeconds: number;
  imageTimeoutSeconds: number;
  sshTimeoutSeconds: number;
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
  boot: BootConfig;
  images: CatalogImage[];
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
    boot: resolveBoot(raw.boot ?? {}, stateDir),
    images: (raw.images ?? []).map((image) => ({
      name: image.name,
      file: image.file,
      format: image.format ?? 'raw',
      compression: image.compression ?? (image.file.endsWith('.zst') ? 'zstd' : image.file.endsWith('.gz') ? 'gzip' : 'none'),
      sha256: image.sha256,
      sshUser: image.ssh_user ?? 'root',
    })),
    log: { level: raw.log?.level ?? DEFAULT_LOG_LEVEL },
  };
  if (raw.api?.advertise !== undefined) config.api.advertise = listen(raw.api.advertise);
  if (raw.admins?.authorized_keys !== undefined) config.admins.authorizedKeysFile = raw.admins.authorized_keys;
  if (raw.tenants?.signup !== undefined) config.tenants.signup = raw.tenants.signup;
  if (raw.tenants?.authorized_keys !== undefined) config.tenants.authorizedKeysFile = raw.tenants.authorized_keys;
  return config;
}

export function resolveBoot(raw: NonNullable<ConfigFile['boot']>, stateDir: string): BootConfig {
  const boot: BootConfig = {
    enabled: raw.enabled ?? false,
    address: raw.address ?? '',
    dhcpMode: raw.dhcp_mode ?? 'proxy',
    httpPort: raw.http_port ?? 8080,
    tftpPort: raw.tftp_port ?? 69,
    dhcpPort: raw.dhcp_port ?? 67,
    ipxeDir: raw.ipxe_dir ?? '/usr/lib/ipxe',
    ramdiskDir: raw.ramdisk_dir ?? join(stateDir, 'ramdisk'),
    pxeTimeoutSeconds: raw.pxe_timeout_seconds ?? 300,
    imageTimeoutSeconds: raw.image_timeout_seconds ?? 3600,
    sshTimeoutSeconds: raw.ssh_timeout_seconds ?? 600,
  };
  if (raw.pool) {
    boot.pool = {
      start: raw.pool.start,
      end: raw.pool.end,
      netmask: raw.pool.netmask,
      dns: raw.pool.dns ?? [],
      leaseSeconds: raw.pool.lease_seconds ?? 3600,
      ...(raw.pool.router === undefined ? {} : { router: raw.pool.router }),
    };
  }
  return boot;
}

function listen(text: string): ListenAddress {
  const address = parseListenAddress(text);
  if (!address) throw new Error(`unchecked listen address ${JSON.stringify(text)}`);
  return address;
}
