/**
 * `nimbusd init`: a config file, the state directory and the SSH host key. Safe to run
 * again: an existing key is kept (clients pin it) and an existing config is only
 * replaced when asked to.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { openStateDatabase, STATE_DB_FILE } from '../state/database.ts';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InvalidRequestError } from '@nimbus/core';
import { DEFAULT_STATE_DIR, HOST_KEY_FILE_NAME } from './defaults.ts';
import { ConfigExistsError } from './errors.ts';
import { ensureHostKey } from './host-key.ts';
import { renderInitialConfig } from './render-config.ts';

/** The same rule as the schema's provider.id. */
const PROVIDER_ID = /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/;

export interface InitOptions {
  configPath: string;
  /** Defaults to DEFAULT_STATE_DIR. */
  stateDir?: string;
  /** Defaults to this host's name, reduced to the characters a provider id allows. */
  providerId?: string;
  /** Replace an existing config file. The host key is kept either way. */
  force?: boolean;
}

export interface InitResult {
  configPath: string;
  stateDir: string;
  stateDirCreated: boolean;
  hostKeyPath: string;
  hostPublicKeyPath: string;
  /** `SHA256:…`: the registry file's `endpoint.host_key`. */
  hostKeyFingerprint: string;
  hostKeyCreated: boolean;
}

export function initSite(options: InitOptions): InitResult {
  const configPath = resolve(options.configPath);
  if (options.providerId !== undefined && !PROVIDER_ID.test(options.providerId)) {
    throw new InvalidRequestError(
      `--provider-id ${JSON.stringify(options.providerId)} is not a provider id: 2 to 63 lower-case letters, digits and dashes, not starting or ending with a dash`,
    );
  }
  // Checked first, so a refused run changes nothing.
  if (existsSync(configPath) && !options.force) {
    throw new ConfigExistsError(`${configPath} already exists; pass --force to replace it (the host key is kept either way)`);
  }
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const stateDirCreated = !existsSync(stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // mkdir's mode goes through the umask; the state holds the host key, so make sure.
  if (stateDirCreated) chmodSync(stateDir, 0o700);

  const hostKeyPath = join(stateDir, HOST_KEY_FILE_NAME);
  const key = ensureHostKey(hostKeyPath);
  // The state database with its schema, so `audit verify` and `machine enroll` work
  // straight after init; opening an existing one only migrates it forward.
  openStateDatabase(join(stateDir, STATE_DB_FILE)).close();

  mkdirSync(dirname(configPath), { recursive: true });
  const providerId = options.providerId ?? providerIdFromHostname(hostname());
  writeFileSync(configPath, renderInitialConfig({ providerId, stateDir, hostKeyPath }), { mode: 0o644 });

  return {
    configPath,
    stateDir,
    stateDirCreated,
    hostKeyPath,
    hostPublicKeyPath: key.publicKeyPath,
    hostKeyFingerprint: key.fingerprint,
    hostKeyCreated: key.created,
  };
}

/** `Rack-7.example.com` → `rack-7`: the first label, lower-cased, within the id pattern. */
export function providerIdFromHostname(name: string): string {
  const label = (name.split('.')[0] ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  const id = label.replace(/-+$/, '');
  return id.length >= 2 ? id : 'nimbus';
}
