/**
 * One read transfer on its own UDP socket (its port is the server's TID, RFC 1350 §4):
 * the OACK if options were accepted, then DATA in windows of `windowSize` blocks (RFC 7440;
 * a window of 1 is plain lock-step TFTP), retransmitted from the last acknowledged block
 * with exponential backoff when no ACK comes, until the last block is acknowledged, the
 * retries run out, or the client sends an ERROR.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../logging/index.ts';
import type { BlockSource } from './block-source.ts';
import { TftpFileChangedError, TftpPacketError } from './errors.ts';
import { encodeData, encodeError, encodeOack, OPCODE, parsePacket, printable, TFTP_ERROR } from './packet.ts';

/** How a transfer ended: `complete` is the only success. */
export type TransferOutcome =
  | 'complete'
  | 'timeout'
  | 'client-error'
  | 'options-refused'
  | 'protocol-error'
  | 'read-error'
  | 'socket-error'
  | 'server-closed';

export interface TransferTiming {
  /** Wait before the first retransmission. */
  retransmitMs: number;
  /** Backoff doubles the wait up to this. */
  maxRetransmitMs: number;
  /** Retransmissions of one window (or the OACK) before the transfer is given up. */
  maxRetries: number;
}

export interface TransferEnd {
  outcome: TransferOutcome;
  /** Payload bytes the client acknowledged. */
  bytes: number;
  retransmissions: number;
  /** The client's ERROR message, or what went wrong on our side. */
  detail?: string;
}

export interface Peer {
  address: string;
  port: number;
}

export interface TransferOptions {
  /** Bound to an ephemeral port; the transfer owns it and closes it at the end. */
  socket: Socket;
  peer: Peer;
  file: FileHandle;
  source: BlockSource;
  windowSize: number;
  /** The OACK's options, or null to start with DATA block 1. */
  oack: ReadonlyMap<string, string> | null;
  timing: TransferTiming;
  logger: Logger;
  /** A datagram from the peer that does not parse. */
  onMalformed: (error: TftpPacketError, size: number) => void;
  onEnd: (end: TransferEnd) => void;
}

export class Transfer {
  readonly #o: TransferOptions;
  #phase: 'oack' | 'data' | 'ended' = 'oack';
  /** Absolute number (not wrapped) of the last block the client acknowledged; 0 before any. */
  #acked = 0;
  /** Blocks #acked+1 … sent (or about to be) and not yet acknowledged. */
  readonly #window: Uint8Array[] = [];
  /** Absolute number of the last block, once it has been read. */
  #lastBlock: number | null = null;
  #bytesAcked = 0;
  /** #acked when an out-of-window ACK last made us go back; -1 before any. */
  #wentBackAt = -1;
  #retries = 0;
  #retransmissions = 0;
  /**
   * One timer per transfer, moved lazily: an ACK only pushes #deadline out, and the timer,
   * when it fires early, sleeps again for the rest (a setTimeout per ACK costs more than the ACK).
   */
  #timer: NodeJS.Timeout | undefined;
  #timerFiresAt = 0;
  #deadline = 0;
  /** Bumped whenever the wait is re-armed, so a timeout already queued behind an ACK is dropped. */
  #timerGeneration = 0;
  /** Everything that touches the window runs here, one step at a time, because reading blocks is async. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: TransferOptions) {
    this.#o = options;
    options.socket.on('message', (msg, rinfo) => {
      try {
        this.#onDatagram(msg, rinfo);
      } catch (err) {
        // A bug, not the datagram's fault (the parser throws only TftpPacketError): keep serving.
        options.logger.error({ err }, 'TFTP transfer failed to handle a datagram');
      }
    });
    options.socket.on('error', (err) => this.#end('socket-error', err.message));
  }

  start(): void {
    if (this.#o.oack !== null) {
      this.#send(encodeOack(this.#o.oack));
      this.#arm();
    } else {
      this.#phase = 'data';
      this.#enqueue(() => this.#sendWindow());
    }
  }

  /** Ends the transfer now, telling the client why with ERROR 0. */
  abort(outcome: TransferOutcome, message: string): void {
    if (this.#phase === 'ended') return;
    this.#send(encodeError(TFTP_ERROR.notDefined, message));
    this.#end(outcome, message);
  }

  /** True once the last block has gone out at least once: the transfer is only waiting for its final ACK. */
  get sentLastBlock(): boolean {
    return this.#lastBlock !== null;
  }

  #enqueue(step: () => Promise<void> | void): void {
    this.#queue = this.#queue.then(step).catch((err: unknown) => this.#failRead(err));
  }

  #onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#phase === 'ended') return;
    if (rinfo.address !== this.#o.peer.address || rinfo.port !== this.#o.peer.port) {
      // Someone else's packet (RFC 1350 §4): tell them, leave the transfer alone. Not when it
      // is an ERROR (errors are never answered) or too short to be a TFTP packet at all.
      this.#o.logger.debug({ from: `${rinfo.address}:${rinfo.port}` }, 'datagram from an unknown transfer ID');
      const isError = msg.length >= 2 && msg[0] === 0 && msg[1] === OPCODE.error;
      if (msg.length >= 4 && !isError) this.#sendTo(encodeError(TFTP_ERROR.unknownTransferId, 'unknown transfer ID'), rinfo);
      return;
    }
    let packet;
    try {
      packet = parsePacket(msg);
    } catch (err) {
      if (!(err instanceof TftpPacketError)) throw err;
      // Ignored: the retransmission timer recovers from a mangled ACK.
      this.#o.onMalformed(err, msg.length);
      return;
    }
    switch (packet.kind) {
      case 'ack': {
        const block = packet.block;
        this.#enqueue(() => this.#onAck(block));
        return;
      }
      case 'error': {
        // Never answer an ERROR (RFC 1350 §7); ERROR 8 to our OACK means the client declined the options.
        const outcome = packet.errorCode === TFTP_ERROR.optionsRefused && this.#phase === 'oack' ? 'options-refused' : 'client-error';
        this.#end(outcome, `client sent ERROR ${packet.errorCode}: ${printable(packet.message)}`);
        return;
      }
      default:
        this.#send(encodeError(TFTP_ERROR.illegalOperation, `expected an ACK, got ${packet.kind.toUpperCase()}`));
        this.#end('protocol-error', `client sent ${packet.kind.toUpperCase()} during a read transfer`);
    }
  }

  async #onAck(block: number): Promise<void> {
    if (this.#phase === 'ended') return;
    if (this.#phase === 'oack') {
      if (block !== 0) return;
      this.#phase = 'data';
      this.#retries = 0;
      await this.#sendWindow();
      return;
    }
    // The ACK's distance ahead of the last acknowledged block, modulo the 16-bit wrap.
    const ahead = (block - this.#acked) & 0xffff;
    if (ahead >= 1 && ahead <= this.#window.length) {
      for (const sent of this.#window.splice(0, ahead)) this.#bytesAcked += sent.length;
      this.#acked += ahead;
      this.#retries = 0;
      if (this.#acked === this.#lastBlock) {
        this.#end('complete');
        return;
      }
      // A partial ACK (RFC 7440 §4) means the blocks after it were lost: resend from there.
      await this.#sendWindow();
      return;
    }
    if (ahead === 0 || ahead > 0x8000) {
      // A duplicate or a stale ACK: answering it would resend blocks the client has
      // (the Sorcerer's Apprentice bug, RFC 1123 §4.2.3.1). The timer covers real loss.
      return;
    }
    // Acknowledges blocks never sent: go back to the last block known to have arrived, but
    // once per position, or a stream of such ACKs would have us resend a window for each.
    if (this.#wentBackAt === this.#acked) return;
    this.#wentBackAt = this.#acked;
    await this.#sendWindow();
  }

  /** Sends the window from the block after the last acknowledged one, reading new blocks to fill it. */
  async #sendWindow(): Promise<void> {
    const { source, windowSize } = this.#o;
    while (this.#window.length < windowSize && !source.finished) {
      // Most blocks are already read (a disk read brings 64 KiB): no await for them.
      const block = source.nextBuffered() ?? (await source.next());
      if (this.#phase === 'ended') return;
      this.#window.push(block);
      if (source.finished) this.#lastBlock = this.#acked + this.#window.length;
    }
    if (this.#phase === 'ended') return;
    this.#window.forEach((data, i) => this.#send(encodeData((this.#acked + 1 + i) & 0xffff, data)));
    this.#arm();
  }

  #arm(): void {
    const { retransmitMs, maxRetransmitMs } = this.#o.timing;
    const wait = Math.min(retransmitMs * 2 ** this.#retries, Math.max(maxRetransmitMs, retransmitMs));
    this.#deadline = performance.now() + wait;
    this.#timerGeneration += 1;
    if (this.#timer !== undefined && this.#timerFiresAt <= this.#deadline) return;
    clearTimeout(this.#timer);
    this.#sleepUntilDeadline();
  }

  #sleepUntilDeadline(): void {
    const wait = Math.max(1, Math.ceil(this.#deadline - performance.now()));
    this.#timerFiresAt = performance.now() + wait;
    this.#timer = setTimeout(() => this.#onTimer(), wait);
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (this.#phase === 'ended') return;
    if (performance.now() < this.#deadline) {
      this.#sleepUntilDeadline();
      return;
    }
    const generation = this.#timerGeneration;
    this.#enqueue(() => this.#onTimeout(generation));
  }

  async #onTimeout(generation: number): Promise<void> {
    if (this.#phase === 'ended' || generation !== this.#timerGeneration) return;
    if (this.#retries >= this.#o.timing.maxRetries) {
      this.#end('timeout', `no ACK after ${this.#retries} retransmission(s) of block ${this.#acked + 1}`);
      return;
    }
    this.#retries += 1;
    this.#retransmissions += 1;
    if (this.#phase === 'oack') {
      this.#send(encodeOack(this.#o.oack!));
      this.#arm();
      return;
    }
    await this.#sendWindow();
  }

  #failRead(err: unknown): void {
    if (this.#phase === 'ended') return;
    const detail = err instanceof TftpFileChangedError ? err.message : `read error: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    this.#send(encodeError(TFTP_ERROR.notDefined, err instanceof TftpFileChangedError ? 'file changed during the transfer' : 'read error on the server'));
    this.#end('read-error', detail);
  }

  #send(packet: Buffer): void {
    this.#sendTo(packet, this.#o.peer);
  }

  /**
   * No send callback: the socket resolves peers without a tick (see the server's
   * literalLookup), so the datagram is with the kernel when send() returns, and a callback
   * per DATA packet would cost a trip back into JavaScript. Send errors are dropped like
   * lost packets; the retransmission timer covers both.
   */
  #sendTo(packet: Buffer, to: { address: string; port: number }): void {
    if (this.#phase === 'ended') return;
    this.#o.socket.send(packet, to.port, to.address);
  }

  #end(outcome: TransferOutcome, detail?: string): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    clearTimeout(this.#timer);
    this.#window.length = 0;
    try {
      this.#o.socket.close();
    } catch {
      // Already closed by a socket error.
    }
    // FileHandle.close waits for a read in flight, so this cannot pull the file from under it.
    this.#o.file.close().catch(() => undefined);
    const end: TransferEnd = { outcome, bytes: this.#bytesAcked, retransmissions: this.#retransmissions };
    if (detail !== undefined) end.detail = detail;
    this.#o.onEnd(end);
  }
}
