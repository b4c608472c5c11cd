import type { Duplex } from 'node:stream';

/**
 * A machine's serial console, open on its BMC: what is written goes to the serial port,
 * what is read came from it. Destroying it lets go of the console on the BMC; the readable
 * side ends when the BMC ends it, with `closeReason` saying why.
 */
export interface SerialConsole extends Duplex {
  /** How the console is reached, for messages: "IPMI SOL". */
  readonly via: string;
  /** Why the console ended, when it was not its reader that closed it. */
  readonly closeReason: string | undefined;
  /** Closes the console from our side, keeping `reason` for whoever reads from it. */
  close(reason: string): void;
}

export interface ConsoleOpenOptions {
  /** Take the console over when another session has it open on the BMC. */
  force?: boolean;
  signal?: AbortSignal;
}

export interface ConsoleOpener {
  /** Opens the serial console; fails with BmcBusyError when another session has it and `force` is not set. */
  openConsole(options?: ConsoleOpenOptions): Promise<SerialConsole>;
}
