/**
 * Cuts an open file into TFTP blocks, reading it in chunks as the transfer goes (never the
 * whole file at once). The size is the one the file had when the transfer started: bytes
 * appended later are not sent, and a file that shrinks fails the transfer.
 */
import type { FileHandle } from 'node:fs/promises';
import { TftpFileChangedError } from './errors.ts';
import { encodeNetascii } from './netascii.ts';

/** How much is read from disk at once; many blocks per read keeps the syscalls few. */
export const READ_CHUNK_BYTES = 64 * 1024;

export class BlockSource {
  readonly #file: FileHandle;
  readonly #size: number;
  readonly #blockSize: number;
  readonly #netascii: boolean;
  #position = 0;
  readonly #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #finished = false;

  constructor(file: FileHandle, size: number, blockSize: number, netascii: boolean) {
    this.#file = file;
    this.#size = size;
    this.#blockSize = blockSize;
    this.#netascii = netascii;
  }

  /** True once the last block (the one shorter than the block size, possibly empty) was returned. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The next block; shorter than the block size exactly once, at the end. */
  async next(): Promise<Uint8Array> {
    if (this.#finished) throw new RangeError('BlockSource.next() called after the last block');
    while (this.#pendingBytes < this.#blockSize && this.#position < this.#size) await this.#readChunk();
    const block = this.#take(Math.min(this.#blockSize, this.#pendingBytes));
    if (block.length < this.#blockSize) this.#finished = true;
    return block;
  }

  /** The next block if it needs no disk read, else undefined (then call next()). */
  nextBuffered(): Uint8Array | undefined {
    if (this.#finished) return undefined;
    if (this.#pendingBytes < this.#blockSize && this.#position < this.#size) return undefined;
    const block = this.#take(Math.min(this.#blockSize, this.#pendingBytes));
    if (block.length < this.#blockSize) this.#finished = true;
    return block;
  }

  async #readChunk(): Promise<void> {
    const length = Math.min(Math.max(READ_CHUNK_BYTES, this.#blockSize), this.#size - this.#position);
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.#file.read(buffer, 0, length, this.#position);
    if (bytesRead === 0) {
      throw new TftpFileChangedError(`the file ended at byte ${this.#position} but was ${this.#size} bytes when the transfer started`);
    }
    this.#position += bytesRead;
    const raw = buffer.subarray(0, bytesRead);
    const chunk = this.#netascii ? encodeNetascii(raw) : raw;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
  }

  #take(count: number): Uint8Array {
    const first = this.#pending[0];
    if (first !== undefined && first.length >= count) {
      // The common case: the block lies inside one chunk, so no copy.
      const block = first.subarray(0, count);
      if (first.length === count) this.#pending.shift();
      else this.#pending[0] = first.subarray(count);
      this.#pendingBytes -= count;
      return block;
    }
    const block = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const head = this.#pending[0]!;
      const n = Math.min(head.length, count - filled);
      block.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) this.#pending.shift();
      else this.#pending[0] = head.subarray(n);
    }
    this.#pendingBytes -= count;
    return block;
  }
}
