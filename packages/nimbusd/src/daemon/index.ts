export { buildApiAccess, parseAuthorizedKeys, readAuthorizedKeys } from './access.ts';
export { Daemon, DEFAULT_GAUGE_REFRESH_MS, type DaemonAddresses, type DaemonOptions } from './daemon.ts';
export { AuthorizedKeysError, ListenError } from './errors.ts';
export { countMachinesByState } from './machine-gauge.ts';
