/**
 * The escape sequences of an interactive console, as OpenSSH and ipmitool have them: at
 * the start of a line, `~.` leaves, `~?` lists the sequences, and `~~`
 * sends one `~`. Everything else goes to the machine unchanged, byte for byte.
 */

export type EscapeCommand = 'leave' | 'help';

export interface Filtered {
  /** The bytes for the machine. */
  forward: Buffer;
  commands: EscapeCommand[];
}

const TILDE = 0x7e;
const CR = 0x0d;
const LF = 0x0a;

export const ESCAPE_HELP = ['Supported escape sequences (at the start of a line):', '  ~.  leave the console (the machine keeps running)', '  ~?  this list', '  ~~  send a single ~'].join('\r\n');

export class EscapeFilter {
  #lineStart = true;
  #pendingTilde = false;

  feed(input: Buffer): Filtered {
    const out: number[] = [];
    const commands: EscapeCommand[] = [];
    for (const byte of input) {
      if (this.#pendingTilde) {
        this.#pendingTilde = false;
        if (byte === 0x2e) {
          commands.push('leave');
          // What follows `~.` is not for the machine: the console is closing.
          return { forward: Buffer.from(out), commands };
        }
        if (byte === 0x3f) {
          commands.push('help');
          continue;
        }
        // `~~` is one tilde; `~` before anything else is sent as it was typed.
        out.push(TILDE);
        if (byte !== TILDE) out.push(byte);
        this.#lineStart = byte === CR || byte === LF;
        continue;
      }
      if (byte === TILDE && this.#lineStart) {
        this.#pendingTilde = true;
        continue;
      }
      out.push(byte);
      this.#lineStart = byte === CR || byte === LF;
    }
    return { forward: Buffer.from(out), commands };
  }
}
