/** A serial console whose machine echoes every byte back, for API tests that are about the channel, not the BMC. */
import { Duplex } from 'node:stream';
import type { SerialConsole } from '../../bmc/console.ts';

export class LoopbackConsole extends Duplex implements SerialConsole {
  readonly via = 'loopback';
  #closeReason: string | undefined;
  written = '';

  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.written += chunk.toString('latin1');
    this.push(chunk);
    done();
  }

  /** The machine side prints `text`. */
  print(text: string): void {
    this.push(Buffer.from(text, 'latin1'));
  }

  close(reason: string): void {
    this.#closeReason ??= reason;
    this.destroy();
  }
}
