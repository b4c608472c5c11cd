import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BootSessions, tokenHash } from './boot-sessions.ts';
import { ConflictError } from './errors.ts';
import type { Store } from './store.ts';
import { enrollReady, openTestStore, tempStateDir } from './testdata/fixtures.ts';

let store: Store;
let sessions: BootSessions;
beforeEach(() => {
  store = openTestStore(join(tempStateDir(), 'nimbusd.sqlite'));
  sessions = new BootSessions(store);
});
afterEach(() => store.close());

describe('boot sessions and their one-time tokens', () => {
  it('hands out a token once, keeps only its hash, and accepts it until the session ends', () => {
    const machineId = enrollReady(store, 'n1');
    const { session, token } = sessions.open({ machineId, mode: 'deploy', phase: 'power', detail: { image: 'tiny' } });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = JSON.stringify(store.db.prepare('SELECT * FROM boot_sessions').all());
    expect(stored).not.toContain(token);
    expect(stored).toContain(tokenHash(token));
    expect(sessions.verify(token, '10.0.0.5')).toEqual({ ok: true, session });
    sessions.advance(session.id, 'agent', { ip: '10.0.0.5' });
    expect(sessions.openFor(machineId)).toMatchObject({ phase: 'agent', detail: { image: 'tiny', ip: '10.0.0.5' } });
    sessions.end(session.id, { status: 'ok' });
    expect(sessions.verify(token, '10.0.0.5')).toEqual({ ok: false, reason: 'reused' });
    expect(sessions.verify('x'.repeat(43), '10.0.0.6')).toEqual({ ok: false, reason: 'unknown' });
    expect(sessions.openFor(machineId)).toBeUndefined();
  });

  it('audits the session and every refused token, and the chain verifies', () => {
    const machineId = enrollReady(store, 'n1');
    const { session, token } = sessions.open({ machineId, mode: 'inspect', phase: 'pxe' });
    sessions.end(session.id, { status: 'failed', class: 'callback' });
    sessions.verify(token, '10.0.0.9');
    const actions = store.auditTail(3).map((r) => `${r.action}:${r.result}`);
    expect(actions).toEqual(['boot.open:ok', 'boot.end:failed', 'boot.token-refused:denied']);
    expect(JSON.parse(store.auditTail(1)[0]!.detail)).toEqual({ reason: 'reused', from: '10.0.0.9' });
    expect(JSON.stringify(store.auditTail(10))).not.toContain(token);
    expect(store.verifyAudit().ok).toBe(true);
  });

  it('allows one open session per machine, and a new one once the old has ended', () => {
    const machineId = enrollReady(store, 'n1');
    const first = sessions.open({ machineId, mode: 'deploy', phase: 'power' });
    expect(() => sessions.open({ machineId, mode: 'wipe', phase: 'power' })).toThrow(ConflictError);
    sessions.end(first.session.id, { status: 'ok' });
    expect(sessions.end(first.session.id, { status: 'other' }).result).toEqual({ status: 'ok' });
    expect(sessions.open({ machineId, mode: 'wipe', phase: 'power' }).session.mode).toBe('wipe');
    expect(() => sessions.advance(first.session.id, 'x')).toThrow(/has ended/);
  });
});
