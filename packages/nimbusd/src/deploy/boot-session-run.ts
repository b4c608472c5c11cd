/**
 * The life of one boot session around the work a flow does in it (deploy, wipe, in-band
 * inspection): a session a previous run left open is ended as abandoned, since its work
 * starts over; the new session's token is kept in memory for the boot routes while the
 * work runs; a failure ends the session with its class (unless nimbusd is stopping, when
 * the next start resumes it); the token is forgotten whatever happens.
 */
import { StepFailure } from '../machines/reconciler.ts';
import type { BootMode, BootSession, BootSessions } from '../state/boot-sessions.ts';

export interface SessionKeeping {
  sessions: BootSessions;
  /** Tokens of the sessions this process opened, by session id; the boot routes read them. */
  tokens: Map<string, string>;
}

/** Ends `stale` as abandoned: a restart interrupted it and its work starts over. */
export function abandonSession(keeping: SessionKeeping, stale: BootSession): void {
  keeping.sessions.end(stale.id, { status: 'abandoned', reason: `the ${stale.mode} started over (nimbusd restarted mid-boot)` });
  keeping.tokens.delete(stale.id);
}

/** Opens a session in the `power` phase, abandoning any the machine still has open, and keeps its token. */
export function openBootSession(
  keeping: SessionKeeping,
  input: { machineId: string; instanceId?: string; mode: BootMode; detail?: Record<string, unknown> },
): BootSession {
  const stale = keeping.sessions.openFor(input.machineId);
  if (stale) abandonSession(keeping, stale);
  const { session, token } = keeping.sessions.open({ ...input, phase: 'power' });
  keeping.tokens.set(session.id, token);
  return session;
}

/** Runs `work` for `session`; `work` ends the session itself when it succeeds. */
export async function inBootSession<T>(keeping: SessionKeeping, session: BootSession, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!signal.aborted) keeping.sessions.end(session.id, { status: 'failed', ...(err instanceof StepFailure ? { class: err.errorClass } : {}) });
    throw err;
  } finally {
    keeping.tokens.delete(session.id);
  }
}
