/**
 * One active SOL payload as a Duplex stream. Input is sent stop-and-wait, one packet at a
 * time with sequence numbers 1–15, retransmitted until the BMC acknowledges it; a partial
 * acceptance sends the rest in the next packet. Characters from the BMC are acknowledged
 * and passed on once each (a retransmission is acknowledged again, not passed on twice).
 * A periodic activation-status check notices a BMC that went away or a console taken
 * over by another session.
 */
import { Duplex } from 'node:stream';
import type { SerialConsole } from '../../console.ts';
import { BmcProtocolError, BmcTimeoutError } from '../../errors.ts';
import { decodeSolPacket, encodeSolPacket, SOL_STATUS, type SolPacket } from './sol-wire.ts';
import { WireError } from './wire.ts';

/** What a SOL console needs of its session. */
export interface SolLink {
  /** Sends one SOL payload (header and characters) in the session. */
  send(payload: Buffer): Promise<void>;
  /** Whether SOL is still active for this session on the BMC; rejects when the BMC does not answer. */
  stillActive(): Promise<boolean>;
  /**
   * Stops listening and, when SOL is still ours on the BMC, deactivates it (best effort).
   * A console another session took over must not be deactivated: that would end theirs.
   */
  release(deactivate: boolean): Promise<void>;
}

export interface SolTiming {
  /** Wait for an acknowledgement before resending; default 500 ms. */
  retryMs: number;
  /** Resends of one packet before the console is given up; default 6. */
  retries: number;
  /** How often the activation status is checked; default 10 s. */
  checkMs: number;
}

export const DEFAULT_SOL_TIMING: SolTiming = { retryMs: 500, retries: 6, checkMs: 10_000 };

interface Queued {
  data: Buffer;
  done: (err?: Error | null) => void;
}

interface InFlight {
  sequence: number;
  data: Buffer;
  sends: number;
  timer: NodeJS.Timeout | undefined;
}

export class SolConsole extends Duplex implements SerialConsole {
  readonly via = 'IPMI SOL';
  readonly #link: SolLink;
  readonly #charsPerPacket: number;
  readonly #timing: SolTiming;
  readonly #queue: Queued[] = [];
  #inFlight: InFlight | undefined;
  #sequence = 0;
  #lastInbound = 0;
  #lastAccepted = 0;
  #check: NodeJS.Timeout | undefined;
  #closeReason: string | undefined;
  /** The BMC ended SOL or gave it to another session: not ours to deactivate. */
  #lostOnBmc = false;
  /** Characters the BMC passed on and characters it acknowledged, for the session's summary. */
  bytesIn = 0;
  bytesOut = 0;

  constructor(link: SolLink, charsPerPacket: number, timing: Partial<SolTiming> = {}) {
    super({ allowHalfOpen: true });
    this.#link = link;
    this.#charsPerPacket = charsPerPacket;
    this.#timing = { ...DEFAULT_SOL_TIMING, ...timing };
    this.#check = setInterval(() => this.#checkActive(), this.#timing.checkMs);
    this.#check.unref();
    // Some BMCs (ipmi_sim among them) remember the last sequence number of the previous SOL
    // session and take a first packet that repeats it for a resend, dropping its characters.
    // An empty packet numbered 1 settles that either way: real input starts at 2.
    this.#sequence = 1;
    this.#transmit({ sequence: 1, ackSequence: 0, acceptedCount: 0, flags: 0, data: Buffer.alloc(0) });
  }

  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /** One SOL payload from the BMC (already decrypted and checked by the session). Never throws. */
  receive(payload: Buffer): void {
    if (this.destroyed) return;
    let packet: SolPacket;
    try {
      packet = decodeSolPacket(payload);
    } catch (e) {
      if (e instanceof WireError) return; // a damaged packet: the BMC resends it when we do not acknowledge
      throw e;
    }
    if (packet.ackSequence !== 0) this.#acknowledged(packet);
    if (packet.sequence !== 0) this.#characters(packet);
    if (packet.flags & SOL_STATUS.deactivating) this.#ended('the BMC ended the console session');
  }

  override _read(): void {
    // Characters are pushed as they arrive; a serial port cannot be paused from here.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.#queue.push({ data: chunk, done });
    this.#pump();
  }

  override _final(done: (err?: Error | null) => void): void {
    done(); // the end of our input is not the end of the console: the machine may keep printing
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    clearInterval(this.#check);
    if (this.#inFlight) clearTimeout(this.#inFlight.timer);
    this.#inFlight = undefined;
    for (const q of this.#queue.splice(0)) q.done(err ?? new BmcProtocolError('the console closed before this input was sent'));
    this.#link.release(!this.#lostOnBmc).then(() => done(err), () => done(err));
  }

  #characters(packet: SolPacket): void {
    // Our acknowledgement was lost and the BMC resent the packet: acknowledge it again only.
    const repeat = packet.sequence === this.#lastInbound;
    if (!repeat) {
      this.#lastInbound = packet.sequence;
      this.#lastAccepted = packet.data.length;
      this.bytesIn += packet.data.length;
      if (packet.data.length > 0) this.push(Buffer.from(packet.data));
    }
    this.#transmit({ sequence: 0, ackSequence: packet.sequence, acceptedCount: this.#lastAccepted, flags: 0, data: Buffer.alloc(0) });
  }

  #acknowledged(packet: SolPacket): void {
    const flight = this.#inFlight;
    if (!flight || packet.ackSequence !== flight.sequence) return; // late: for a packet already settled
    if (packet.flags & SOL_STATUS.nack) {
      // Refused (the BMC's buffer is full, or the port is not ready): the retry timer resends it.
      return;
    }
    clearTimeout(flight.timer);
    this.#inFlight = undefined;
    const accepted = Math.min(packet.acceptedCount, flight.data.length);
    this.bytesOut += accepted;
    this.#consume(accepted);
    this.#pump();
  }

  /** Drops `count` sent characters from the head of the queue, finishing the writes they complete. */
  #consume(count: number): void {
    let left = count;
    while (left > 0 && this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (head.data.length > left) {
        head.data = head.data.subarray(left);
        return;
      }
      left -= head.data.length;
      this.#queue.shift();
      head.done();
    }
  }

  #pump(): void {
    if (this.#inFlight || this.destroyed) return;
    while (this.#queue.length > 0 && this.#queue[0]!.data.length === 0) this.#queue.shift()!.done();
    if (this.#queue.length === 0) return;
    const chunks: Buffer[] = [];
    let room = this.#charsPerPacket;
    for (const q of this.#queue) {
      if (room === 0) break;
      const part = q.data.subarray(0, room);
      chunks.push(part);
      room -= part.length;
    }
    this.#sequence = (this.#sequence % 15) + 1;
    this.#inFlight = { sequence: this.#sequence, data: Buffer.concat(chunks), sends: 0, timer: undefined };
    this.#sendInFlight();
  }

  #sendInFlight(): void {
    const flight = this.#inFlight;
    if (!flight || this.destroyed) return;
    if (flight.sends > this.#timing.retries) {
      this.destroy(new BmcTimeoutError(`the BMC acknowledged no console input after ${flight.sends} sends; it may be gone`));
      return;
    }
    flight.sends += 1;
    // An acknowledgement of the BMC's last characters rides along, in case ours was lost.
    this.#transmit({ sequence: flight.sequence, ackSequence: this.#lastInbound, acceptedCount: this.#lastAccepted, flags: 0, data: flight.data });
    flight.timer = setTimeout(() => this.#sendInFlight(), this.#timing.retryMs);
  }

  #transmit(packet: SolPacket): void {
    this.#link.send(encodeSolPacket(packet)).catch((e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))));
  }

  close(reason: string): void {
    if (this.destroyed) return;
    this.#closeReason ??= reason;
    this.destroy();
  }

  #checkActive(): void {
    this.#link.stillActive().then(
      (active) => { if (!active) this.#ended('the console was closed on the BMC (another session took it over)'); },
      (e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  }

  #ended(reason: string): void {
    if (this.#closeReason !== undefined || this.destroyed) return;
    this.#closeReason = reason;
    this.#lostOnBmc = true;
    clearInterval(this.#check);
    // End both sides rather than destroy: what was read but not yet taken must still reach
    // the reader; autoDestroy lets go of the BMC once the reader has it all.
    this.push(null);
    this.end();
  }
}
