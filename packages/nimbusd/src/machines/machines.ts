/**
 * What the `nimbusd machine` commands do, apart from parsing and printing: enroll a
 * machine with its BMC settings checked first, list, find by id or name, remove.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { InvalidRequestError, type MachineState } from '@nimbus/core';
import type { BmcConfig } from '../bmc/driver.ts';
import { bmcDriver, type BmcDriverName } from '../bmc/drivers/index.ts';
import { BmcSettingsError } from '../cli/errors.ts';
import { readSecretFile } from '../cli/secret-file.ts';
import type { Actor } from '../state/audit.ts';
import { ConflictError, NotFoundError } from '../state/errors.ts';
import type { BmcOptions, Machine } from '../state/records.ts';
import { DEFAULT_MACHINE_CLASS, MACHINE_CLASS_ID, Store } from '../state/store.ts';
import { importLegacyClassAssignments } from './legacy-class-file.ts';
import { stateDbOf } from './state-location.ts';

/** A machine as the commands show it. */
export type MachineView = Machine;

export interface EnrollRequest {
  name: string;
  driver: BmcDriverName;
  host: string;
  port?: number;
  username: string;
  /** Stored as given (made absolute); only read here to check the file and run the driver's validate. */
  passwordFile: string;
  macs: string[];
  class?: string;
  /** Driver settings that are not secrets; a K_g is given as a file path. */
  options?: BmcOptions;
}

/** States in which a machine is someone's: removing it would pull it from under an instance. */
const HELD_STATES: ReadonlySet<MachineState> = new Set(['allocated', 'deploying', 'deployed', 'releasing']);
const MAC = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;

/** The `--bmc-…` flag of `machine enroll` that sets each driver setting, where its name differs. */
const ENROLL_FLAG_OF: Partial<Record<keyof BmcConfig, string>> = {
  username: 'user',
  password: 'password-file',
  tlsFingerprint: 'tls-fingerprint',
  cipherSuite: 'cipher-suite',
  kg: 'kg-file',
};

/** The operator at this terminal, as the audit log names them. */
export function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the uid alone still says who.
    user = `uid-${process.getuid?.() ?? '?'}`;
  }
  return { fingerprint: `cli:${user}`, role: 'admin' };
}

/** Opens the state store of `stateDir` for one command; close it when done. */
export function openStore(stateDir: string): Store {
  const store = new Store({ path: stateDbOf(stateDir), clock: () => new Date() });
  importLegacyClassAssignments(store, stateDir);
  return store;
}

/**
 * Checks every setting before the store is touched: MACs and class (naming the flag),
 * the password file (must exist and be 0600), then the BMC driver's own `validate`.
 * The password is read only for that check; the store keeps the file's path.
 */
export function enrollMachine(stateDir: string, req: EnrollRequest, actor: Actor = cliActor()): MachineView {
  const problems: string[] = [];
  req.macs.forEach((mac) => {
    if (!MAC.test(mac)) problems.push(`--mac ${JSON.stringify(mac)} is not a MAC address (six hex pairs, e.g. aa:bb:cc:dd:ee:ff)`);
  });
  if (req.macs.length === 0) problems.push('--mac is required: the MAC the machine network-boots from');
  const klass = req.class ?? DEFAULT_MACHINE_CLASS;
  if (!MACHINE_CLASS_ID.test(klass)) problems.push(`--class ${JSON.stringify(klass)} must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (at most 63)`);
  if (problems.length > 0) throw new InvalidRequestError(problems.join('; '));

  const passwordFile = resolve(req.passwordFile);
  const password = readSecretFile(passwordFile, '--bmc-password-file');
  const options = req.options ?? {};
  if (options.kgFile !== undefined) options.kgFile = resolve(options.kgFile);
  const config: BmcConfig = {
    driver: req.driver,
    host: req.host,
    username: req.username,
    password,
    ...(req.port === undefined ? {} : { port: req.port }),
    ...(options.scheme === undefined ? {} : { scheme: options.scheme }),
    ...(options.tlsFingerprint === undefined ? {} : { tlsFingerprint: options.tlsFingerprint }),
    ...(options.system === undefined ? {} : { system: options.system }),
    ...(options.cipherSuite === undefined ? {} : { cipherSuite: options.cipherSuite }),
    ...(options.kgFile === undefined ? {} : { kg: readSecretFile(options.kgFile, '--bmc-kg-file').trim() }),
  };
  const driverProblems = bmcDriver(req.driver).validate(config);
  if (driverProblems.length > 0) {
    throw new BmcSettingsError(driverProblems, driverProblems.map((p) => `--bmc-${ENROLL_FLAG_OF[p.setting] ?? p.setting}: ${p.message}`));
  }

  const store = openStore(stateDir);
  try {
    const address = req.port === undefined ? req.host : `${req.host.includes(':') ? `[${req.host}]` : req.host}:${req.port}`;
    return store.enrollMachine(
      { name: req.name, class: klass, bmc: { driver: req.driver, address, username: req.username, credentialsFile: passwordFile, options }, bootMacs: req.macs },
      actor,
    );
  } finally {
    store.close();
  }
}

export function listMachines(stateDir: string, filter: { state?: MachineState } = {}): MachineView[] {
  const store = openStore(stateDir);
  try {
    return store.listMachines(filter);
  } finally {
    store.close();
  }
}

/** The machine whose id is `ref`, else the one named `ref`. */
export function findMachine(store: Store, ref: string): Machine {
  try {
    return store.getMachine(ref);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const byName = store.listMachines().find((m) => m.name === ref);
  if (!byName) throw new NotFoundError(`no machine with id or name ${JSON.stringify(ref)}`);
  return byName;
}

export function showMachine(stateDir: string, ref: string): MachineView {
  const store = openStore(stateDir);
  try {
    return findMachine(store, ref);
  } finally {
    store.close();
  }
}

/** Removes a machine no tenant holds; returns what it was. */
export function removeMachine(stateDir: string, ref: string, actor: Actor = cliActor()): MachineView {
  const store = openStore(stateDir);
  try {
    const machine = findMachine(store, ref);
    if (HELD_STATES.has(machine.state)) {
      throw new ConflictError('machine-busy', `machine ${machine.name} (${machine.id}) is ${machine.state}; release its instance first`);
    }
    // The store checks again inside its transaction, so a concurrent allocation still loses.
    store.removeMachine(machine.id, actor);
    return machine;
  } finally {
    store.close();
  }
}
