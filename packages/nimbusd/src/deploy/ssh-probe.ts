/**
 * Whether an instance's SSH server answers: a TCP connection that receives an
 * `SSH-2.0-…` identification line (RFC 4253 §4.2), which only a running sshd sends.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One attempt: true when the banner arrived within `timeoutMs`. */
export function sshAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let seen = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (/^SSH-2\.0-/m.test(seen)) finish(true);
      else if (seen.length > 8192) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** Tries every `intervalMs` until the banner arrives (true) or `timeoutMs` has passed (false). */
export async function waitForSsh(host: string, port: number, options: { timeoutMs: number; intervalMs?: number; signal: AbortSignal }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && !options.signal.aborted) {
    if (await sshAnswers(host, port, Math.min(5_000, Math.max(500, deadline - Date.now())))) return true;
    await sleep(options.intervalMs ?? 2_000, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return false;
}
