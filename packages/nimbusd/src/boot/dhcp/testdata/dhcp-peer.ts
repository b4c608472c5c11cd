/**
 * Test peers for the DHCP server on loopback: a UDP client socket that sends encoded
 * requests and collects the replies, builders for the requests real firmware sends, an
 * event recorder, and a pino logger that keeps its lines.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { BootOffer, BootPolicy, BootRequest } from '../../policy.ts';
import { MESSAGE_TYPE, type DhcpOptions } from '../options.ts';
import { BOOTREQUEST, BROADCAST_FLAG, emptyMessage, encodeDhcpMessage, parseDhcpMessage, type DhcpMessage } from '../packet.ts';
import type { DhcpEvent } from '../server-options.ts';

export interface Received {
  message: DhcpMessage;
  from: { address: string; port: number };
}

/** A UDP socket standing in for a DHCP client (or a relay agent), keeping every reply it gets. */
export class DhcpPeer {
  readonly received: Received[] = [];
  private readonly socket: Socket;
  private waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (packet, remote) => {
      this.received.push({ message: parseDhcpMessage(packet), from: { address: remote.address, port: remote.port } });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static open(address = '127.0.0.1', port = 0): Promise<DhcpPeer> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: 'udp4' });
      socket.once('error', reject);
      socket.bind(port, address, () => resolve(new DhcpPeer(socket)));
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(message: DhcpMessage | Uint8Array, port: number, address = '127.0.0.1'): Promise<void> {
    const bytes = message instanceof Uint8Array ? message : encodeDhcpMessage(message, 1472);
    return new Promise((resolve, reject) => this.socket.send(bytes, port, address, (error) => (error ? reject(error) : resolve())));
  }

  /** The first reply (already received or still to come) that matches; rejects after `limitMs`. */
  async next(match: (message: DhcpMessage) => boolean, limitMs = 3_000): Promise<Received> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const found = this.received.find((entry) => match(entry.message));
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching DHCP reply arrived');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends and waits for the reply with the same transaction id. */
  async exchange(message: DhcpMessage, port: number, address = '127.0.0.1'): Promise<Received> {
    await this.send(message, port, address);
    return this.next((reply) => reply.xid === message.xid);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

let nextXid = 0x1000;

/** A client request as firmware sends it (broadcast flag set, fresh transaction id). */
export function clientMessage(type: number, mac: string, options: DhcpOptions = {}, header: Partial<DhcpMessage> = {}): DhcpMessage {
  return { ...emptyMessage(BOOTREQUEST, mac, { messageType: type, ...options }), xid: nextXid++, flags: BROADCAST_FLAG, ...header };
}

export const UUID = Buffer.from('8a7c5a1e0b2d4c3e9f1a2b3c4d5e6f70', 'hex');

/** Options of a BIOS PXE ROM (Intel UNDI 2.1). */
export const BIOS_PXE: DhcpOptions = { vendorClass: 'PXEClient:Arch:00000:UNDI:002001', clientArch: [0], clientNdi: { type: 1, major: 2, minor: 1 }, clientUuid: UUID, parameterList: [1, 3, 43, 60, 66, 67, 97] };
/** Options of EDK2/OVMF's PXE on x86-64. */
export const UEFI_PXE: DhcpOptions = { vendorClass: 'PXEClient:Arch:00007:UNDI:003000', clientArch: [7], clientNdi: { type: 1, major: 3, minor: 0 }, clientUuid: UUID, maxMessageSize: 1464 };
/** Options of iPXE (BIOS build), as in Debian's undionly.kpxe. */
export const IPXE: DhcpOptions = { vendorClass: 'PXEClient:Arch:00000:UNDI:002001', clientArch: [0], userClass: ['iPXE'], ipxe: new Map([[0x13, Buffer.from([1])], [0x24, Buffer.from([1])]]), maxMessageSize: 1472 };

export function discover(mac: string, options: DhcpOptions = {}, header: Partial<DhcpMessage> = {}): DhcpMessage {
  return clientMessage(MESSAGE_TYPE.DISCOVER, mac, options, header);
}

/** A boot policy that answers the MACs it knows and records every question. */
export class RecordingPolicy implements BootPolicy {
  readonly requests: BootRequest[] = [];
  private readonly answer: (request: BootRequest) => BootOffer | null | Promise<BootOffer | null>;

  constructor(answer: (request: BootRequest) => BootOffer | null | Promise<BootOffer | null>) {
    this.answer = answer;
  }

  offer(request: BootRequest): BootOffer | null | Promise<BootOffer | null> {
    this.requests.push(request);
    return this.answer(request);
  }
}

/** Keeps the server's events and waits for the ones a test expects. */
export class EventLog {
  readonly events: DhcpEvent[] = [];
  readonly onEvent = (event: DhcpEvent): void => {
    this.events.push(event);
  };

  /** Resolves with the first event (from `since` on) that matches; rejects after `limitMs`. */
  async wait(match: (event: DhcpEvent) => boolean, since = 0, limitMs = 5_000): Promise<DhcpEvent> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const found = this.events.slice(since).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching DHCP event; saw ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Resolves once at least `count` events have been seen. */
  async count(count: number, limitMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + limitMs;
    while (this.events.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    return this.events.length >= count;
  }
}

/** A debug-level pino logger whose lines a test can read back. */
export function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: pino({ level: 'debug' }, stream),
    lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
