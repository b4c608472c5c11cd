/**
 * A scripted TFTP peer on a loopback UDP socket, for the protocol cases no real client
 * produces on demand: stop ACKing, ACK twice, ACK from the wrong port, decline an OACK.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { encodeAck, encodeRequest, parsePacket, type TftpPacket } from '../packet.ts';

export interface Received {
  packet: TftpPacket;
  from: RemoteInfo;
}

export class RawClient {
  readonly #socket: Socket;
  readonly #queue: Received[] = [];
  readonly #waiters: ((r: Received) => void)[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (msg, from) => {
      const received = { packet: parsePacket(msg), from };
      const waiter = this.#waiters.shift();
      if (waiter) waiter(received);
      else this.#queue.push(received);
    });
  }

  static async open(): Promise<RawClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new RawClient(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  send(bytes: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /** The next packet received, or an error after `timeoutMs`. */
  next(timeoutMs = 5_000): Promise<Received> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no TFTP packet within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (r: Received): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Everything received so far and not yet taken. */
  drain(): Received[] {
    return this.#queue.splice(0);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/** A whole file by plain RFC 1350 lock-step (512-byte blocks, no options), from the server at `port`. */
export async function fetchLockStep(port: number, filename: string, timeoutMs = 5_000): Promise<Buffer> {
  const client = await RawClient.open();
  try {
    await client.send(encodeRequest({ kind: 'rrq', filename, mode: 'octet' }), port);
    const chunks: Uint8Array[] = [];
    let expected = 1;
    for (;;) {
      const { packet, from } = await client.next(timeoutMs);
      if (packet.kind === 'error') throw new Error(`server sent ERROR ${packet.errorCode}: ${packet.message}`);
      if (packet.kind !== 'data') throw new Error(`expected DATA ${expected}, got ${packet.kind}`);
      if (packet.block === ((expected - 1) & 0xffff)) {
        // A retransmission of the block before: our ACK was late or lost, so ACK it again.
        await client.send(encodeAck(packet.block), from.port);
        continue;
      }
      if (packet.block !== (expected & 0xffff)) throw new Error(`expected DATA ${expected}, got DATA ${packet.block}`);
      chunks.push(packet.data);
      await client.send(encodeAck(packet.block), from.port);
      if (packet.data.length < 512) return Buffer.concat(chunks);
      expected += 1;
    }
  } finally {
    await client.close();
  }
}
