import { isMachineState, type MachineState } from '@nimbus/core';
import { StateStoreError } from './errors.ts';
import { INSTANCE_STATES } from './migrations.ts';

export type BmcDriverName = 'ipmi' | 'redfish';

/** The BMC settings kept beside the address; secrets are only ever file paths. */
export interface BmcOptions {
  scheme?: 'https' | 'http';
  tlsFingerprint?: string;
  system?: string;
  cipherSuite?: 3 | 17;
  /** Path of the file holding IPMI's K_g. */
  kgFile?: string;
  /** The firmware mode the machine network-boots in; the boot override says it. Defaults to uefi. */
  bootMode?: 'uefi' | 'legacy';
}

/** A machine as the store keeps it. Timestamps are ISO 8601 UTC. */
export interface Machine {
  id: string;
  name: string;
  state: MachineState;
  /** The registry machine class it is offered as. */
  class: string;
  bmc: {
    driver: BmcDriverName;
    address: string;
    /** The user nimbusd logs in as; empty for machines enrolled before it was recorded. */
    username: string;
    /** Path of the file holding the BMC password; the password itself is never stored. */
    credentialsFile: string;
    /** Driver settings that are not secrets. */
    options: BmcOptions;
  };
  bootMacs: string[];
  /** What the last inspection found (out of band or in band); null before the first. */
  inventory: { data: unknown; at: string } | null;
  lastError: { message: string; hint: string | null; class: string | null; at: string } | null;
  createdAt: string;
  updatedAt: string;
}

export type InstanceState = (typeof INSTANCE_STATES)[number];

/** quick: the first and last 4 MiB (partition tables, boot loaders, file system labels); full: every byte. */
export type WipeLevel = 'quick' | 'full';

/** A machine allocated to a tenant. `released` instances stay as history and hold no machine. */
export interface Instance {
  id: string;
  /** The tenant's SSH key fingerprint. */
  tenant: string;
  machineId: string;
  idempotencyKey: string;
  state: InstanceState;
  request: unknown;
  /** Where the deployed instance answers (its IPv4 address); null until known. */
  address: string | null;
  /** The deploy phase it is in (power, pxe, image, ssh, wipe…) and since when; null outside a deploy. */
  phase: { name: string; at: string } | null;
  /** How its disk is wiped on release; null: not wiped. */
  wipe: WipeLevel | null;
  createdAt: string;
  updatedAt: string;
}

export interface MachineRow {
  id: string;
  name: string;
  state: string;
  class: string;
  bmc_driver: string;
  bmc_address: string;
  bmc_username: string;
  bmc_options: string;
  bmc_credentials_file: string;
  boot_macs: string;
  inventory: string | null;
  inspected_at: string | null;
  last_error: string | null;
  last_error_hint: string | null;
  last_error_class: string | null;
  last_error_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface InstanceRow {
  id: string;
  tenant: string;
  machine_id: string;
  idempotency_key: string;
  state: string;
  request: string;
  address: string | null;
  phase: string | null;
  phase_at: string | null;
  wipe: string | null;
  created_at: string;
  updated_at: string;
}

export function machineFromRow(row: MachineRow): Machine {
  if (!isMachineState(row.state)) throw new StateStoreError(`machine ${row.id} has unknown state ${JSON.stringify(row.state)}`);
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    class: row.class,
    bmc: { driver: row.bmc_driver as BmcDriverName, address: row.bmc_address, username: row.bmc_username, credentialsFile: row.bmc_credentials_file, options: JSON.parse(row.bmc_options) as BmcOptions },
    bootMacs: JSON.parse(row.boot_macs) as string[],
    inventory: row.inventory === null ? null : { data: JSON.parse(row.inventory) as unknown, at: row.inspected_at ?? row.updated_at },
    lastError:
      row.last_error === null ? null : { message: row.last_error, hint: row.last_error_hint, class: row.last_error_class, at: row.last_error_at ?? row.updated_at },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function instanceFromRow(row: InstanceRow): Instance {
  return {
    id: row.id,
    tenant: row.tenant,
    machineId: row.machine_id,
    idempotencyKey: row.idempotency_key,
    state: row.state as InstanceState,
    request: JSON.parse(row.request) as unknown,
    address: row.address,
    phase: row.phase === null ? null : { name: row.phase, at: row.phase_at ?? row.updated_at },
    wipe: row.wipe as WipeLevel | null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
