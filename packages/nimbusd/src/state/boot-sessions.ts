/**
 * Boot sessions: one network boot of a machine (a deploy, an in-band inspection, a wipe)
 * and the one-time token its ramdisk authenticates with. The token is handed out once, at
 * creation, and kept only as its SHA-256; a session accepts it until it ends, after which
 * the same token is refused as reused. Opening, ending and every refused token are audited.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Actor } from './audit.ts';
import { canonicalJson } from './canonical-json.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import type { Store } from './store.ts';

export type BootMode = 'deploy' | 'inspect' | 'wipe';

export interface BootSession {
  id: string;
  machineId: string;
  instanceId: string | null;
  mode: BootMode;
  /** Where the boot is: power, pxe, agent, image, reboot, ssh, … (the deploy flow's own names). */
  phase: string;
  detail: Record<string, unknown>;
  result: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

interface BootSessionRow {
  id: string;
  machine_id: string;
  instance_id: string | null;
  mode: string;
  phase: string;
  detail: string;
  result: string | null;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

/** Why a token was refused: never seen, or its session is over. */
export type TokenVerdict = { ok: true; session: BootSession } | { ok: false; reason: 'unknown' | 'reused' };

export const BOOT_ACTOR: Actor = { fingerprint: 'nimbusd', role: 'system' };

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class BootSessions {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Opens a session; returns it with its token, which is not kept and cannot be read again. */
  open(input: { machineId: string; instanceId?: string; mode: BootMode; phase: string; detail?: Record<string, unknown> }): { session: BootSession; token: string } {
    const token = randomBytes(32).toString('base64url');
    const id = `b-${randomUUID()}`;
    const detail = canonicalJson(input.detail ?? {}, 'detail');
    const session = this.#store.write((now) => {
      try {
        this.#store.db
          .prepare(
            `INSERT INTO boot_sessions (id, machine_id, instance_id, mode, token_hash, phase, detail, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(id, input.machineId, input.instanceId ?? null, input.mode, tokenHash(token), input.phase, detail, now, now);
      } catch (err) {
        if ((err as { errcode?: number }).errcode === 2067) {
          throw new ConflictError('machine-busy', `machine ${input.machineId} already has a boot session open; end it first`, { cause: err });
        }
        throw err;
      }
      this.#store.appendAudit({ actor: BOOT_ACTOR, action: 'boot.open', target: id, result: 'ok', detail: { machine: input.machineId, mode: input.mode } }, now);
      return this.get(id);
    });
    return { session, token };
  }

  get(id: string): BootSession {
    const row = this.#store.db.prepare('SELECT * FROM boot_sessions WHERE id = ?').get(id) as BootSessionRow | undefined;
    if (!row) throw new NotFoundError(`no boot session ${id}`);
    return fromRow(row);
  }

  /** The machine's open session, if any. */
  openFor(machineId: string): BootSession | undefined {
    const row = this.#store.db.prepare('SELECT * FROM boot_sessions WHERE machine_id = ? AND ended_at IS NULL').get(machineId) as BootSessionRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The open session a token belongs to; a refusal is audited with where the request came from. */
  verify(token: string, from: string): TokenVerdict {
    const row = this.#store.db.prepare('SELECT * FROM boot_sessions WHERE token_hash = ?').get(tokenHash(token)) as BootSessionRow | undefined;
    if (row && row.ended_at === null) return { ok: true, session: fromRow(row) };
    const reason = row ? 'reused' : 'unknown';
    this.#store.write((now) =>
      this.#store.appendAudit({ actor: BOOT_ACTOR, action: 'boot.token-refused', target: row?.id ?? '-', result: 'denied', detail: { reason, from } }, now),
    );
    return { ok: false, reason };
  }

  /** Moves an open session to another phase, merging `detail`; no audit (progress, not a decision). */
  advance(id: string, phase: string, detail: Record<string, unknown> = {}): BootSession {
    return this.#store.write((now) => {
      const current = this.get(id);
      if (current.endedAt !== null) throw new ConflictError('machine-busy', `boot session ${id} has ended`);
      this.#store.db
        .prepare('UPDATE boot_sessions SET phase = ?, detail = ?, updated_at = ? WHERE id = ?')
        .run(phase, canonicalJson({ ...current.detail, ...detail }, 'detail'), now, id);
      return this.get(id);
    });
  }

  /** Ends a session with its result; its token is refused from now on. Ending it twice changes nothing. */
  end(id: string, result: Record<string, unknown>): BootSession {
    return this.#store.write((now) => {
      const current = this.get(id);
      if (current.endedAt !== null) return current;
      this.#store.db.prepare('UPDATE boot_sessions SET ended_at = ?, result = ?, updated_at = ? WHERE id = ?').run(now, canonicalJson(result, 'result'), now, id);
      this.#store.appendAudit({ actor: BOOT_ACTOR, action: 'boot.end', target: id, result: String(result.status ?? 'ok'), detail: result }, now);
      return this.get(id);
    });
  }
}

function fromRow(row: BootSessionRow): BootSession {
  return {
    id: row.id,
    machineId: row.machine_id,
    instanceId: row.instance_id,
    mode: row.mode as BootMode,
    phase: row.phase,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
  };
}
