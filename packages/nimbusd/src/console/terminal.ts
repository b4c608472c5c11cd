/**
 * Joining the local terminal (or pipes) to an open console: nimbusctl's `instance console`
 * (through a provider's API) and nimbusd's `bmc console` (straight to a BMC). On a terminal, keys go to the
 * machine raw (Ctrl-C included) and the escapes of escape.ts are read at line
 * starts; from a pipe, input goes as it comes and its end does not close the console:
 * the machine may keep printing. Under --json the output is kept (its last MiB) for the
 * final object instead of printed.
 */
import type { Duplex, Writable } from 'node:stream';
import { ESCAPE_HELP, EscapeFilter } from './escape.ts';

/** A console to attach to: its byte stream, and how it ended (`reason` when the far side closed it). */
export interface AttachableConsole {
  /** Keystrokes in, the machine's output out; destroyed to leave. */
  stream: Duplex;
  closed: Promise<{ reason: string | undefined }>;
}

/** The most console output kept for the --json answer; older output is dropped first. */
export const MAX_CAPTURED_BYTES = 1024 * 1024;
/** How long leaving waits for the provider to confirm the console closed. */
const CLOSE_WAIT_MS = 3000;

export interface ConsoleIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  output: Writable;
  /** A line for the person at the terminal (stderr). */
  notice(text: string): void;
  /** Keys from a terminal: raw mode and escapes. */
  interactive: boolean;
  /** Keep the output for the answer instead of writing it to `output`. */
  capture: boolean;
}

export interface ConsoleOutcome {
  /** `left`: by ~. ; `interrupted`: by a signal; `closed`: by the far side (see `reason`). */
  outcome: 'left' | 'interrupted' | 'closed';
  reason: string | null;
  /** Bytes the machine printed, and bytes sent to it. */
  bytesIn: number;
  bytesOut: number;
  output?: string;
  outputTruncated?: boolean;
}

export function attachConsole(remote: AttachableConsole, io: ConsoleIo, stop: AbortSignal): Promise<ConsoleOutcome> {
  const { stream } = remote;
  const filter = new EscapeFilter();
  const captured: Buffer[] = [];
  let capturedBytes = 0;
  let truncated = false;
  let bytesIn = 0;
  let bytesOut = 0;
  let rawSet = false;

  return new Promise<ConsoleOutcome>((resolve) => {
    let settled = false;
    const send = (bytes: Buffer): void => {
      if (bytes.length === 0) return;
      bytesOut += bytes.length;
      stream.write(bytes);
    };
    const onKeys = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (!io.interactive) return send(bytes);
      const { forward, commands } = filter.feed(bytes);
      send(forward);
      for (const command of commands) {
        if (command === 'help') io.notice(`\r\n${ESCAPE_HELP}\r`);
        if (command === 'leave') void finish('left', null);
      }
    };
    const onOutput = (chunk: Buffer): void => {
      bytesIn += chunk.length;
      if (!io.capture) return void io.output.write(chunk);
      captured.push(chunk);
      capturedBytes += chunk.length;
      while (capturedBytes > MAX_CAPTURED_BYTES && captured.length > 1) {
        capturedBytes -= captured.shift()!.length;
        truncated = true;
      }
    };
    const onStop = (): void => void finish('interrupted', null);
    // A console that fails (its BMC stopped answering) ends the session with why.
    const onError = (err: Error): void => void finish('closed', err.message);
    const onClose = (): void => {
      void remote.closed.then(({ reason }) => finish('closed', reason ?? 'the far side closed the console'));
    };

    async function finish(outcome: ConsoleOutcome['outcome'], reason: string | null): Promise<void> {
      if (settled) return;
      settled = true;
      io.input.off('data', onKeys);
      io.input.pause();
      stop.removeEventListener('abort', onStop);
      stream.off('close', onClose);
      if (rawSet) io.input.setRawMode?.(false);
      stream.destroy();
      await Promise.race([remote.closed, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
      stream.off('data', onOutput);
      const result: ConsoleOutcome = { outcome, reason, bytesIn, bytesOut };
      if (io.capture) Object.assign(result, { output: Buffer.concat(captured).toString('utf8'), outputTruncated: truncated });
      resolve(result);
    }

    if (io.interactive && io.input.setRawMode) {
      io.input.setRawMode(true);
      rawSet = true;
    }
    stream.on('data', onOutput);
    stream.on('error', onError);
    stream.once('close', onClose);
    stop.addEventListener('abort', onStop, { once: true });
    io.input.on('data', onKeys);
    io.input.resume();
    stream.resume();
    if (stop.aborted) onStop();
  });
}
