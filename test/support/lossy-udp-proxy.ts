/**
 * A bad network day between a UDP client and its peer: a proxy that passes datagrams both
 * ways and drops a share of them, chosen by a seeded generator so a run replays. The peer
 * is real (ipmi_sim); only the link between is impaired.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { SeededRandom } from './seeded-random.ts';

export interface LossyUdpProxyOptions {
  /** Where clients send to. */
  listen: { host: string; port: number };
  /** Where the peer listens. */
  target: { host: string; port: number };
  /** The share of datagrams dropped in each direction, 0–1. */
  dropRate: number;
  seed: number;
}

export class LossyUdpProxy {
  readonly #front: Socket;
  readonly #back: Socket;
  readonly #random: SeededRandom;
  readonly #options: LossyUdpProxyOptions;
  #client: RemoteInfo | undefined;
  /** Datagrams passed and dropped, toward the peer (up) and back (down). */
  readonly counts = { upPassed: 0, upDropped: 0, downPassed: 0, downDropped: 0 };

  private constructor(options: LossyUdpProxyOptions) {
    this.#options = options;
    this.#random = new SeededRandom(options.seed);
    this.#front = createSocket('udp4');
    this.#back = createSocket('udp4');
    this.#front.on('message', (msg, from) => {
      this.#client = from;
      if (this.#drop()) return void this.counts.upDropped++;
      this.counts.upPassed++;
      this.#back.send(msg, options.target.port, options.target.host);
    });
    this.#back.on('message', (msg) => {
      const client = this.#client;
      if (!client) return;
      if (this.#drop()) return void this.counts.downDropped++;
      this.counts.downPassed++;
      this.#front.send(msg, client.port, client.address);
    });
  }

  static async start(options: LossyUdpProxyOptions): Promise<LossyUdpProxy> {
    const proxy = new LossyUdpProxy(options);
    await new Promise<void>((resolve) => proxy.#front.bind(options.listen.port, options.listen.host, () => resolve()));
    await new Promise<void>((resolve) => proxy.#back.bind(0, '127.0.0.1', () => resolve()));
    return proxy;
  }

  #drop(): boolean {
    return this.#random.next() < this.#options.dropRate;
  }

  async close(): Promise<void> {
    await Promise.all([this.#front, this.#back].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
