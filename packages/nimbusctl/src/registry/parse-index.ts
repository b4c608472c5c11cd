import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ParsedProvider, Problem, Provider } from '@nimbus/core';
import type { SerializedParse } from './serialized-parse.ts';

/** What the index knows about the last sync of its registry. */
export interface IndexMeta {
  url?: string;
  /** Commit whose files the index holds. */
  commit?: string;
  /** When a sync last reached the remote (ISO 8601). */
  syncedAt?: string;
}

const SCHEMA_VERSION = '1';

/**
 * The parsed form of every provider file of one registry clone, kept between runs
 * so that a sync re-parses only the files that changed and a command reads
 * providers without parsing TOML at all.
 */
export class ParseIndex {
  readonly #db: DatabaseSync;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#db = new DatabaseSync(file);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS files (
        path TEXT PRIMARY KEY,
        provider TEXT,
        problems TEXT NOT NULL
      );
    `);
    const version = this.#get('schema_version');
    if (version !== SCHEMA_VERSION) {
      // An index from another nimbusctl version is only a cache: start it again.
      this.#db.exec('DELETE FROM files; DELETE FROM meta;');
      this.#set('schema_version', SCHEMA_VERSION);
    }
  }

  meta(): IndexMeta {
    const meta: IndexMeta = {};
    const url = this.#get('url');
    const commit = this.#get('commit');
    const syncedAt = this.#get('synced_at');
    if (url !== undefined) meta.url = url;
    if (commit !== undefined) meta.commit = commit;
    if (syncedAt !== undefined) meta.syncedAt = syncedAt;
    return meta;
  }

  /** Replaces the entries of `changed` paths and removes `removed`, in one transaction with the new meta. */
  update(changed: readonly SerializedParse[], removed: readonly string[], meta: IndexMeta, replaceAll = false): void {
    const upsert = this.#db.prepare('INSERT OR REPLACE INTO files (path, provider, problems) VALUES (?, ?, ?)');
    const remove = this.#db.prepare('DELETE FROM files WHERE path = ?');
    this.#db.exec('BEGIN');
    try {
      if (replaceAll) this.#db.exec('DELETE FROM files');
      for (const path of removed) remove.run(path);
      for (const entry of changed) {
        upsert.run(entry.path, entry.provider, entry.problems);
      }
      if (meta.url !== undefined) this.#set('url', meta.url);
      if (meta.commit !== undefined) this.#set('commit', meta.commit);
      if (meta.syncedAt !== undefined) this.#set('synced_at', meta.syncedAt);
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Every file's parse result, sorted by path. */
  entries(): ParsedProvider[] {
    const rows = this.#db.prepare('SELECT path, provider, problems FROM files ORDER BY path').all();
    return rows.map((row) => {
      const entry: ParsedProvider = { path: row.path as string, problems: JSON.parse(row.problems as string) as Problem[] };
      if (row.provider !== null) entry.provider = JSON.parse(row.provider as string) as Provider;
      return entry;
    });
  }

  close(): void {
    this.#db.close();
  }

  #get(key: string): string | undefined {
    const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(key);
    return row ? (row.value as string) : undefined;
  }

  #set(key: string, value: string): void {
    this.#db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }
}
