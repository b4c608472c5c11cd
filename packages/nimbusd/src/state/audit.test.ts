import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, auditHash } from './audit.ts';
import type { Store } from './store.ts';
import { ADMIN, SYSTEM, enrollReady, openTestStore, tempStateDir } from './testdata/fixtures.ts';

let store: Store;
beforeEach(() => {
  store = openTestStore(join(tempStateDir(), 'nimbusd.sqlite'));
  // 9 records: three enrolments, each walked to ready.
  for (const name of ['node1', 'node2', 'node3']) enrollReady(store, name);
});
afterEach(() => store.close());

const exec = (sql: string) => store.db.exec(sql);

describe('audit hash chain', () => {
  it('chains each record to the one before, from the genesis hash', () => {
    const records = store.auditTail(100);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
    for (const r of records) expect(auditHash(r)).toBe(r.hash);
  });

  it('verifies an intact chain', () => {
    expect(store.verifyAudit()).toEqual({ ok: true, records: 9 });
  });

  it('verifies an empty log', () => {
    const empty = openTestStore(join(tempStateDir(), 'nimbusd.sqlite'));
    try {
      expect(empty.verifyAudit()).toEqual({ ok: true, records: 0 });
    } finally {
      empty.close();
    }
  });

  it('names an edited record', () => {
    exec(`UPDATE audit SET result = 'denied' WHERE seq = 5`);
    expect(store.verifyAudit()).toMatchObject({ ok: false, seq: 5, kind: 'edited', records: 4 });
  });

  it('names an edited record even when its hash was recomputed, by its successor', () => {
    const r = store.auditTail(100)[4]!;
    const forged = { ...r, actor: 'SHA256:someone-else' };
    exec(`UPDATE audit SET actor = '${forged.actor}', hash = '${auditHash(forged)}' WHERE seq = 5`);
    expect(store.verifyAudit()).toMatchObject({ ok: false, seq: 5, kind: 'edited' });
  });

  it('names the gap a deleted record leaves', () => {
    exec('DELETE FROM audit WHERE seq = 4');
    const verdict = store.verifyAudit();
    expect(verdict).toMatchObject({ ok: false, seq: 5, kind: 'deleted', records: 3 });
    expect(verdict.ok === false && verdict.message).toMatch(/record 4 is missing before record 5/);
  });

  it('sees a deletion hidden by renumbering the records after it', () => {
    exec('DELETE FROM audit WHERE seq = 4');
    for (let seq = 5; seq <= 9; seq++) exec(`UPDATE audit SET seq = ${seq - 1} WHERE seq = ${seq}`);
    expect(store.verifyAudit()).toMatchObject({ ok: false, seq: 4, kind: 'deleted' });
  });

  it('sees the first records deleted', () => {
    exec('DELETE FROM audit WHERE seq <= 2');
    expect(store.verifyAudit()).toMatchObject({ ok: false, seq: 3, kind: 'deleted', records: 0 });
  });

  it('sees records cut off the end', () => {
    exec('DELETE FROM audit WHERE seq >= 8');
    const verdict = store.verifyAudit();
    expect(verdict).toMatchObject({ ok: false, seq: 8, kind: 'truncated', records: 7 });
    expect(verdict.ok === false && verdict.message).toMatch(/records 8–9 were cut off/);
  });

  it('names two swapped records as reordered', () => {
    exec('UPDATE audit SET seq = -1 WHERE seq = 3');
    exec('UPDATE audit SET seq = 3 WHERE seq = 4');
    exec('UPDATE audit SET seq = 4 WHERE seq = -1');
    const verdict = store.verifyAudit();
    expect(verdict).toMatchObject({ ok: false, seq: 3, kind: 'reordered', records: 2 });
    expect(verdict.ok === false && verdict.message).toMatch(/record 3 was written as record 4/);
  });

  it('keeps verifying after more records are appended', () => {
    store.recordAudit({ actor: ADMIN, action: 'audit.tail', target: '-', result: 'ok' });
    store.recordAudit({ actor: SYSTEM, action: 'api.call', target: 'instances.get', result: 'denied', detail: { why: 'not found' } });
    expect(store.verifyAudit()).toEqual({ ok: true, records: 11 });
  });
});
