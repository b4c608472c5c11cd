import { createHash } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { canonicalJson } from './canonical-json.ts';

/** Who acted: the SSH key's fingerprint and the role it had; `system` for nimbusd itself. */
export interface Actor {
  fingerprint: string;
  role: ActorRole;
}
export type ActorRole = 'admin' | 'tenant' | 'system';

/** What an audit record says happened. */
export interface AuditEntry {
  actor: Actor;
  action: string;
  target: string;
  /** `ok`, or how it failed (`denied`, `failed`, …). */
  result: string;
  detail?: Record<string, unknown>;
}

/** One stored audit record. */
export interface AuditRecord {
  seq: number;
  time: string;
  actor: string;
  role: string;
  action: string;
  target: string;
  result: string;
  /** Canonical JSON text of the detail, exactly what was hashed. */
  detail: string;
  prevHash: string;
  hash: string;
}

/** The `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 (hex) of a record: over a JSON array of its fields in a fixed order, so no two
 * different records serialise alike, ending with the previous record's hash.
 */
export function auditHash(record: Omit<AuditRecord, 'hash'>): string {
  const fields = [
    record.seq,
    record.time,
    record.actor,
    record.role,
    record.action,
    record.target,
    record.result,
    record.detail,
    record.prevHash,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * Appends one record to the chain. Call inside the write transaction of the change it
 * records, so that the two commit or vanish together.
 */
export function appendAudit(db: DatabaseSync, entry: AuditEntry, time: string): AuditRecord {
  const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  const unhashed = {
    seq: (head?.seq ?? 0) + 1,
    time,
    actor: entry.actor.fingerprint,
    role: entry.actor.role,
    action: entry.action,
    target: entry.target,
    result: entry.result,
    detail: canonicalJson(entry.detail ?? {}, 'audit detail'),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  const record: AuditRecord = { ...unhashed, hash: auditHash(unhashed) };
  db.prepare(
    `INSERT INTO audit (seq, time, actor, role, action, target, result, detail, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(record.seq, record.time, record.actor, record.role, record.action, record.target, record.result, record.detail, record.prevHash, record.hash);
  db.prepare(
    `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
  ).run(record.seq, record.hash);
  return record;
}

interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  role: string;
  action: string;
  target: string;
  result: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

function fromRow(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    role: row.role,
    action: row.action,
    target: row.target,
    result: row.result,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The last `limit` records, oldest first. */
export function auditTail(db: DatabaseSync, limit: number): AuditRecord[] {
  const rows = db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT ?').all(limit) as unknown as AuditRow[];
  return rows.reverse().map(fromRow);
}

/**
 * How the chain breaks at a record:
 * - `edited`: its contents no longer match its hash, or its predecessor was changed and rehashed;
 * - `deleted`: records before it are missing (a gap in `seq`, or the rest renumbered to hide one);
 * - `reordered`: an intact record sits at another position than the one it was written at;
 * - `truncated`: records were cut off the end (the chain ends before the recorded head).
 */
export type AuditBreak = 'edited' | 'deleted' | 'reordered' | 'truncated';

export type AuditVerdict =
  | { ok: true; records: number }
  | { ok: false; records: number; seq: number; kind: AuditBreak; message: string };

/** How far past a record `verifyAudit` looks for the position a renumbered record came from. */
const RENUMBER_SEARCH = 1024;

/**
 * Walks the chain from the first record and returns the first place it breaks, or ok.
 * Reads one record at a time, so it runs in constant memory over any length of log.
 */
export function verifyAudit(db: DatabaseSync): AuditVerdict {
  const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  const byHash = db.prepare('SELECT * FROM audit WHERE hash = ?');
  const byPrevHash = db.prepare('SELECT * FROM audit WHERE prev_hash = ?');
  let previous: AuditRecord | undefined;
  let records = 0;
  const broken = (seq: number, kind: AuditBreak, message: string): AuditVerdict => ({ ok: false, records, seq, kind, message });

  for (const row of db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as Iterable<AuditRow>) {
    const record = fromRow(row);
    const expectedSeq = (previous?.seq ?? 0) + 1;
    if (record.seq !== expectedSeq) {
      const missing = record.seq - 1 === expectedSeq ? `record ${expectedSeq} is` : `records ${expectedSeq}–${record.seq - 1} are`;
      return broken(record.seq, 'deleted', `${missing} missing before record ${record.seq}`);
    }
    const expectedPrev = previous?.hash ?? GENESIS_HASH;
    if (auditHash(record) !== record.hash) {
      const origin = originalPosition(record, byHash, byPrevHash);
      if (origin !== undefined) {
        return broken(record.seq, 'reordered', `record ${record.seq} was written as record ${origin} and has been moved`);
      }
      const renumbered = record.prevHash === expectedPrev ? undefined : renumberedFrom(record);
      if (renumbered !== undefined) {
        return broken(record.seq, 'deleted', `record ${record.seq} was written as record ${renumbered}: records before it were deleted and the rest renumbered`);
      }
      return broken(record.seq, 'edited', `record ${record.seq} was edited: its contents do not match its hash`);
    }
    if (record.prevHash !== expectedPrev) {
      if (byHash.get(record.prevHash)) {
        return broken(record.seq, 'reordered', `record ${record.seq} follows a record other than the one it was written after`);
      }
      return broken(
        previous?.seq ?? record.seq,
        'edited',
        `record ${previous?.seq ?? record.seq} was edited and rehashed: record ${record.seq} was chained to a different one`,
      );
    }
    previous = record;
    records += 1;
  }

  if (head && (previous?.seq !== head.seq || previous.hash !== head.hash)) {
    const last = previous?.seq ?? 0;
    return broken(last + 1, 'truncated', `the log ends at record ${last} but record ${head.seq} had been written: records ${last + 1}–${head.seq} were cut off`);
  }
  return { ok: true, records };
}

/**
 * The seq a record was written at, if it hashes correctly there and that differs from
 * where it is now: the position after the record its prev_hash names, or before the
 * record that names it as predecessor.
 */
function originalPosition(
  record: AuditRecord,
  byHash: ReturnType<DatabaseSync['prepare']>,
  byPrevHash: ReturnType<DatabaseSync['prepare']>,
): number | undefined {
  const candidates = new Set<number>();
  const predecessor = byHash.get(record.prevHash) as AuditRow | undefined;
  if (predecessor) candidates.add(predecessor.seq + 1);
  const successor = byPrevHash.get(record.hash) as AuditRow | undefined;
  if (successor) candidates.add(successor.seq - 1);
  for (const seq of candidates) {
    if (seq !== record.seq && auditHash({ ...record, seq }) === record.hash) return seq;
  }
  return undefined;
}

/** The higher seq this record hashes correctly at, if it was moved down to close a gap. */
function renumberedFrom(record: AuditRecord): number | undefined {
  for (let seq = record.seq + 1; seq <= record.seq + RENUMBER_SEARCH; seq++) {
    if (auditHash({ ...record, seq }) === record.hash) return seq;
  }
  return undefined;
}
