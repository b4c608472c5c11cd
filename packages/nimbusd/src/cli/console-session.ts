/**
 * An operator's console session in this terminal, for `nimbusd bmc console` and
 * `nimbusd machine console`: the notices, the terminal joined to the console until ~. or
 * a signal, and the outcome (exit status 1 when the console was closed from the far side).
 */
import type { SerialConsole } from '../bmc/console.ts';
import { attachConsole, type ConsoleOutcome } from '../console/terminal.ts';

export interface ConsoleSessionOptions {
  /** What the console is of, for the notices: a host or a machine name. */
  label: string;
  json: boolean;
  /** Writes a line to stderr. */
  notice(text: string): void;
}

export async function runConsoleSession(console: SerialConsole, options: ConsoleSessionOptions): Promise<ConsoleOutcome & { via: string }> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const interactive = process.stdin.isTTY === true && !options.json;
    if (process.stderr.isTTY) options.notice(`Connected to the console of ${options.label} (${console.via}). ${interactive ? 'Type ~. to leave, ~? for help.' : 'Interrupt nimbusd to leave.'}`);
    const closed = new Promise<{ reason: string | undefined }>((resolve) => console.once('close', () => resolve({ reason: console.closeReason })));
    const outcome = await attachConsole(
      { stream: console, closed },
      { input: process.stdin, output: process.stdout, notice: (text) => process.stderr.write(`${text}\n`), interactive, capture: options.json },
      stop.signal,
    );
    if (outcome.outcome === 'closed') {
      options.notice(`\r\nThe console of ${options.label} closed: ${outcome.reason}`);
      process.exitCode = 1;
    }
    return { via: console.via, ...outcome };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
