/**
 * One UDP socket shared by every IPMI session of the process. Outstanding requests are
 * kept per BMC address; an inbound datagram goes to the first request at that address
 * whose matcher claims it. Retransmission with backoff and the per-call AbortSignal live
 * here, so every command gets the same bounded behaviour.
 */
import { createSocket, type Socket } from 'node:dgram';
import { BmcProtocolError, BmcTimeoutError } from '../../errors.ts';

/** A matcher returns the decoded reply when the datagram is the answer to its request. */
export type Matcher<T> = (datagram: Buffer) => T | undefined;

/** Takes a datagram no request claimed (a SOL packet); returns whether it was its to take. Must not throw. */
export type Listener = (datagram: Buffer) => boolean;

export interface RetryPolicy {
  /** Wait for the first answer, in ms; each retry waits `backoff` times longer. */
  timeoutMs: number;
  retries: number;
  backoff: number;
}

export const DEFAULT_RETRY: RetryPolicy = { timeoutMs: 1000, retries: 3, backoff: 1.5 };

interface Pending {
  match: Matcher<unknown>;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class IpmiTransport {
  readonly #socket: Socket;
  readonly #pending = new Map<string, Set<Pending>>();
  readonly #listeners = new Map<string, Set<Listener>>();
  #bound: Promise<void>;
  #closed = false;

  constructor() {
    this.#socket = createSocket('udp4');
    this.#socket.on('message', (msg, rinfo) => this.#dispatch(`${rinfo.address}:${rinfo.port}`, msg));
    // A socket error must not take the process down; calls time out and report it.
    this.#socket.on('error', () => {});
    this.#bound = new Promise((resolve) => this.#socket.bind(0, () => resolve()));
  }

  /** Lets the process exit while the socket is open (for a long-lived shared transport). */
  unref(): this {
    this.#socket.unref();
    return this;
  }

  /**
   * Sends `build()` (rebuilt for every attempt, so a retry can carry a new session
   * sequence number) until `match` claims a reply, the retries run out, or `signal` aborts.
   */
  async request<T>(host: string, port: number, build: () => Buffer, match: Matcher<T>, what: string, retry: RetryPolicy = DEFAULT_RETRY, signal?: AbortSignal): Promise<T> {
    if (this.#closed) throw new BmcProtocolError('the IPMI transport is closed', { target: what });
    signal?.throwIfAborted();
    await this.#bound;
    signal?.throwIfAborted(); // it may have fired while the socket was binding
    const key = `${host}:${port}`;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let attempt = 0;
      let wait = retry.timeoutMs;
      const set = this.#pending.get(key) ?? new Set<Pending>();
      this.#pending.set(key, set);
      const finish = () => {
        clearTimeout(timer);
        set.delete(entry);
        if (set.size === 0 && this.#pending.get(key) === set) this.#pending.delete(key);
        signal?.removeEventListener('abort', onAbort);
      };
      const entry: Pending = {
        match: match as Matcher<unknown>,
        resolve: (v) => { finish(); resolve(v as T); },
        reject: (e) => { finish(); reject(e); },
      };
      const onAbort = () => entry.reject(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
      const send = () => {
        if (attempt > retry.retries) {
          entry.reject(new BmcTimeoutError(`no answer from ${key} to ${what} after ${attempt} attempts`));
          return;
        }
        attempt++;
        let datagram: Buffer;
        try {
          datagram = build();
        } catch (e) {
          entry.reject(e as Error);
          return;
        }
        this.#socket.send(datagram, port, host);
        timer = setTimeout(send, wait);
        wait = Math.round(wait * retry.backoff);
      };
      set.add(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      send();
    });
  }

  /**
   * Hands every datagram from host:port that no request claims to `listener`, until the
   * returned function is called: how a BMC's unsolicited packets (SOL characters) arrive.
   */
  listen(host: string, port: number, listener: Listener): () => void {
    const key = `${host}:${port}`;
    const set = this.#listeners.get(key) ?? new Set<Listener>();
    this.#listeners.set(key, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(key) === set) this.#listeners.delete(key);
    };
  }

  #dispatch(key: string, datagram: Buffer): void {
    const set = this.#pending.get(key);
    let parseError: unknown;
    for (const entry of set ?? []) {
      try {
        const value = entry.match(datagram);
        if (value !== undefined) {
          entry.resolve(value);
          return;
        }
      } catch (e) {
        parseError ??= e;
      }
    }
    for (const listener of this.#listeners.get(key) ?? []) if (listener(datagram)) return;
    // Late or unsolicited and nobody listens: dropped. A datagram nobody could parse fails
    // the oldest call to that BMC, not the socket.
    if (set && parseError !== undefined) {
      const oldest = set.values().next().value;
      const reason = parseError instanceof BmcProtocolError ? parseError : new BmcProtocolError(`malformed reply from ${key}: ${(parseError as Error).message}`, {}, { cause: parseError });
      oldest?.reject(reason);
    }
  }

  /** Sends one datagram expecting no answer (e.g. a RAKP 3 that aborts a failed handshake). */
  async send(host: string, port: number, datagram: Buffer): Promise<void> {
    if (this.#closed) return;
    await this.#bound;
    this.#socket.send(datagram, port, host);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const set of this.#pending.values()) for (const e of set) e.reject(new BmcProtocolError('the IPMI transport was closed'));
    await this.#bound;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
