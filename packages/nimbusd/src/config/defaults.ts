/**
 * Where nimbusd looks for things when nothing says otherwise. Each default is named so
 * the schema's descriptions, `nimbusd init` and the loader agree.
 */

/** The config file, unless `--config` or NIMBUSD_CONFIG names another. */
export const DEFAULT_CONFIG_PATH = '/etc/nimbus/nimbusd.toml';
/** The environment variable that names the config file; `--config` wins over it. */
export const CONFIG_PATH_ENV = 'NIMBUSD_CONFIG';
/** The state directory: state store, audit log and host key. */
export const DEFAULT_STATE_DIR = '/var/lib/nimbus';
/** The SSH API: on every address, since users reach it from anywhere. */
export const DEFAULT_API_LISTEN = '0.0.0.0:2222';
/** /metrics: loopback only, for a local scraper or a reverse proxy. */
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9464';
/** The host key's file name inside the state directory, as OpenSSH names its own. */
export const HOST_KEY_FILE_NAME = 'ssh_host_ed25519_key';
export const DEFAULT_LOG_LEVEL = 'info';
/** Nobody but the listed keys may create instances until the operator opens the site. */
export const DEFAULT_TENANT_POLICY = 'allowlist';
/** Power readings of every machine: often enough to notice a machine that lost power within a minute. */
export const DEFAULT_POWER_SYNC_SECONDS = 30;
/** BMCs spoken to at once; old BMCs answer slowly, so this bounds the wait, not the CPU. */
export const DEFAULT_BMC_CONCURRENCY = 16;
export const DEFAULT_BMC_FAILURES_BEFORE_ERROR = 3;
