/**
 * Splits a byte stream into `\n`-terminated lines with a cap on line length. A line that
 * grows past the cap is reported once and its bytes are dropped up to its end, so one
 * oversized message costs an error, not the connection, and memory stays bounded.
 */

/** The longest line the API accepts unless told otherwise: 64 KiB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export interface LineFramerHandlers {
  line(text: string): void;
  /** A line exceeded `maxLineBytes`; called once per such line, as soon as it is known. */
  oversized(bytesSeen: number): void;
}

export class LineFramer {
  readonly #max: number;
  readonly #handlers: LineFramerHandlers;
  #parts: Buffer[] = [];
  #length = 0;
  /** Skipping the rest of an oversized line. */
  #discarding = false;

  constructor(maxLineBytes: number, handlers: LineFramerHandlers) {
    this.#max = maxLineBytes;
    this.#handlers = handlers;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!this.#discarding) {
        this.#length += end - start;
        if (this.#length > this.#max) {
          this.#handlers.oversized(this.#length);
          this.#discarding = true;
          this.#parts = [];
        } else {
          this.#parts.push(chunk.subarray(start, end));
        }
      }
      if (newline === -1) return;
      if (!this.#discarding) {
        const text = Buffer.concat(this.#parts).toString('utf8').replace(/\r$/, '');
        if (text.trim() !== '') this.#handlers.line(text);
      }
      this.#parts = [];
      this.#length = 0;
      this.#discarding = false;
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without `\n` still counts. */
  end(): void {
    if (!this.#discarding && this.#length > 0) {
      const text = Buffer.concat(this.#parts).toString('utf8');
      if (text.trim() !== '') this.#handlers.line(text);
    }
    this.#parts = [];
    this.#length = 0;
    this.#discarding = false;
  }
}
