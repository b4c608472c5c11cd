import { MACHINE_STATES } from '@nimbus/core';

/** One forward step of the schema; `version` is the schema version after it has run. */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

const stateList = MACHINE_STATES.map((s) => `'${s}'`).join(', ');

/** States of an instance; `released` is the only one that no longer holds its machine. */
export const INSTANCE_STATES = ['allocated', 'deploying', 'deployed', 'releasing', 'released'] as const;
const instanceStateList = INSTANCE_STATES.map((s) => `'${s}'`).join(', ');

/**
 * Every schema change, oldest first. Never edit a migration that has shipped: add the
 * next one. Each runs in its own transaction together with the version bump.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE machines (
        id                   TEXT PRIMARY KEY,
        name                 TEXT NOT NULL UNIQUE,
        state                TEXT NOT NULL CHECK (state IN (${stateList})),
        bmc_driver           TEXT NOT NULL CHECK (bmc_driver IN ('ipmi', 'redfish')),
        bmc_address          TEXT NOT NULL,
        -- the path of the file holding the BMC password, never the password itself
        bmc_credentials_file TEXT NOT NULL,
        boot_macs            TEXT NOT NULL,
        last_error           TEXT,
        last_error_hint      TEXT,
        last_error_at        TEXT,
        created_at           TEXT NOT NULL,
        updated_at           TEXT NOT NULL
      ) STRICT;

      -- DHCP answers a machine by its boot MAC, so a MAC names at most one machine.
      CREATE TABLE machine_boot_macs (
        mac        TEXT PRIMARY KEY,
        machine_id TEXT NOT NULL
      ) STRICT;
      CREATE INDEX machine_boot_macs_by_machine ON machine_boot_macs (machine_id);

      CREATE TABLE instances (
        id              TEXT PRIMARY KEY,
        tenant          TEXT NOT NULL,
        machine_id      TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN (${instanceStateList})),
        request         TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        UNIQUE (tenant, idempotency_key)
      ) STRICT;

      -- A machine belongs to at most one live instance. This index, not a check in code,
      -- is what makes a second allocation of the same machine fail.
      CREATE UNIQUE INDEX instances_one_live_per_machine ON instances (machine_id) WHERE state <> 'released';
      CREATE INDEX instances_by_tenant ON instances (tenant);

      CREATE TABLE audit (
        seq       INTEGER PRIMARY KEY,
        time      TEXT NOT NULL,
        actor     TEXT NOT NULL,
        role      TEXT NOT NULL,
        action    TEXT NOT NULL,
        target    TEXT NOT NULL,
        result    TEXT NOT NULL,
        detail    TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
      ) STRICT;

      -- The last record appended, kept apart so that cutting records off the end shows.
      CREATE TABLE audit_head (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        seq  INTEGER NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    sql: `
      -- The class a machine is offered as (a registry machine class id), the BMC user the
      -- daemon logs in with, and what the last inspection found.
      ALTER TABLE machines ADD COLUMN class TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE machines ADD COLUMN bmc_username TEXT NOT NULL DEFAULT '';
      -- Driver settings that are not secrets (Redfish scheme, TLS pin, system; IPMI cipher suite, K_g file path), as JSON.
      ALTER TABLE machines ADD COLUMN bmc_options TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE machines ADD COLUMN inventory TEXT;
      ALTER TABLE machines ADD COLUMN inspected_at TEXT;
      -- The class of the last error (bmc, pxe_timeout, image_checksum, …), for dashboards and hints.
      ALTER TABLE machines ADD COLUMN last_error_class TEXT;
      CREATE INDEX machines_by_state_class ON machines (state, class);

      -- Where a deployed instance answers, and the deploy phase it is in (for watchers that attach late).
      ALTER TABLE instances ADD COLUMN address TEXT;
      ALTER TABLE instances ADD COLUMN phase TEXT;
      ALTER TABLE instances ADD COLUMN phase_at TEXT;
    `,
  },
  {
    version: 3,
    sql: `
      -- One network boot of a machine: a deploy, an in-band inspection or a wipe. The token
      -- the machine authenticates its callbacks with is kept only as its SHA-256.
      CREATE TABLE boot_sessions (
        id          TEXT PRIMARY KEY,
        machine_id  TEXT NOT NULL,
        instance_id TEXT,
        mode        TEXT NOT NULL CHECK (mode IN ('deploy', 'inspect', 'wipe')),
        token_hash  TEXT NOT NULL UNIQUE,
        phase       TEXT NOT NULL,
        detail      TEXT NOT NULL DEFAULT '{}',
        result      TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        ended_at    TEXT
      ) STRICT;
      -- A machine boots one session at a time: a new one is refused until the old one ends.
      CREATE UNIQUE INDEX boot_sessions_one_open_per_machine ON boot_sessions (machine_id) WHERE ended_at IS NULL;
    `,
  },
  {
    version: 4,
    sql: `
      -- How the disk is wiped when the instance is released: NULL (not), quick or full.
      ALTER TABLE instances ADD COLUMN wipe TEXT CHECK (wipe IN ('quick', 'full'));
    `,
  },
];

/** The schema version this nimbusd writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
