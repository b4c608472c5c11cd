import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { StateStoreError } from './errors.ts';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.ts';

/** The state database's file name inside the state directory. */
export const STATE_DB_FILE = 'nimbusd.sqlite';

/** How long a writer waits for another connection's write transaction, by default (ms). */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export interface OpenOptions {
  /** Open without writing anything: no migrations, no pragmas that change the file. */
  readOnly?: boolean;
  /** Wait this long for the write lock before failing with SQLITE_BUSY; DEFAULT_BUSY_TIMEOUT_MS if unset. */
  busyTimeoutMs?: number;
}

/** The path of the state database in `stateDir`. */
export function stateDbPath(stateDir: string): string {
  return join(stateDir, STATE_DB_FILE);
}

/**
 * Opens (creating if needed) the state database at `path` and brings its schema up to date.
 * WAL lets readers run beside the one writer; `synchronous=FULL` makes every commit reach
 * the disk before it returns, so nothing accepted is lost when the host loses power.
 */
export function openStateDatabase(path: string, options: OpenOptions = {}): DatabaseSync {
  if (options.readOnly && !existsSync(path)) {
    throw new StateStoreError(`no state database at ${path}; has nimbusd been initialised with this state directory?`);
  }
  const db = new DatabaseSync(path, {
    readOnly: options.readOnly ?? false,
    timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
  });
  try {
    if (!options.readOnly) {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      migrate(db, MIGRATIONS);
    } else {
      const version = schemaVersion(db);
      if (version !== SCHEMA_VERSION) {
        throw new StateStoreError(`state database ${path} has schema version ${version}; this nimbusd reads version ${SCHEMA_VERSION}`);
      }
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The schema version recorded in `db`, 0 for an empty database. */
export function schemaVersion(db: DatabaseSync): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

/**
 * Runs every migration newer than the database, each in its own IMMEDIATE transaction so
 * that two processes opening the same new file do not both apply it.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[]): void {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  for (const migration of migrations) {
    inImmediateTransaction(db, () => {
      db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT');
      const current = schemaVersion(db);
      if (current > latest) {
        throw new StateStoreError(`state database has schema version ${current}, newer than this nimbusd's ${latest}; upgrade nimbusd`);
      }
      if (current >= migration.version) return;
      db.exec(migration.sql);
      db.exec('DELETE FROM schema_version');
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migration.version);
    });
  }
}

/**
 * Runs `work` inside `BEGIN IMMEDIATE … COMMIT`: the write lock is taken up front, so the
 * reads inside see the state the writes will be applied to. Any throw rolls everything back.
 */
export function inImmediateTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
