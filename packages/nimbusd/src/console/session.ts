/**
 * A console session in this process's terminal, for the commands that open one
 * (`nimbusctl instance console`, `nimbusd bmc console`, `nimbusd machine console`): the
 * notices on stderr, the terminal joined to the console until ~. or SIGINT/SIGTERM, and
 * exit status 1 when the far side closed it.
 */
import type { SerialConsole } from '../bmc/console.ts';
import { attachConsole, type AttachableConsole, type ConsoleOutcome } from './terminal.ts';

export interface TerminalSessionOptions {
  /** What the console is of: an instance or machine name, a BMC host. */
  label: string;
  /** How it is reached, with where when that helps: `IPMI SOL at provider "fra1"`. */
  via: string;
  /** The program to interrupt to leave, for the notice when input is not a terminal. */
  program: string;
  json: boolean;
  /** Writes one line to stderr. */
  notice(text: string): void;
}

export async function runTerminalSession(console: AttachableConsole, options: TerminalSessionOptions): Promise<ConsoleOutcome> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const interactive = process.stdin.isTTY === true && !options.json;
    const chatty = process.stderr.isTTY === true;
    if (chatty) options.notice(`Connected to the console of ${options.label} (${options.via}). ${interactive ? 'Type ~. to leave, ~? for help.' : `Interrupt ${options.program} to leave.`}`);
    const outcome = await attachConsole(
      console,
      { input: process.stdin, output: process.stdout, notice: (text) => process.stderr.write(`${text}\n`), interactive, capture: options.json },
      stop.signal,
    );
    if (outcome.outcome === 'closed') {
      options.notice(`\r\nThe console of ${options.label} closed: ${(outcome.reason ?? '').replace(/^console closed: /, '')}`);
      process.exitCode = 1;
    } else if (chatty) {
      options.notice(`\r\nLeft the console of ${options.label}; the machine keeps running.`);
    }
    return outcome;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A SerialConsole (a BMC's, opened in this process) as something to attach to. */
export function attachable(console: SerialConsole): AttachableConsole {
  return { stream: console, closed: new Promise((resolve) => console.once('close', () => resolve({ reason: console.closeReason }))) };
}
