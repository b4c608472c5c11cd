/**
 * The `/metrics` endpoint for Prometheus: GET /metrics and nothing else, on the address
 * it is given (127.0.0.1:9464 unless told otherwise, so metrics are not exposed beyond the
 * host by accident). Knows nothing of Nimbus beyond the registry it serves.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { silentLogger } from '../logging/logger.ts';

/** Loopback only: Prometheus on the same host, or behind a reverse proxy the operator sets up. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** A port clear of the boot service's and the SSH API's; what Prometheus's scrape config names for nimbusd. */
export const DEFAULT_METRICS_PORT = 9464;
export const METRICS_PATH = '/metrics';
/** A scrape that takes longer than this is cut off; Prometheus's own default scrape timeout is 10 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface MetricsServerOptions {
  registry: Registry;
  /** Address to bind; defaults to DEFAULT_METRICS_HOST. */
  host?: string;
  /** Port to bind, 0 for any free one; defaults to DEFAULT_METRICS_PORT. */
  port?: number;
  /** Time a request may take, headers and all; defaults to DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Defaults to a silent logger. */
  logger?: Logger;
}

export class MetricsServer {
  readonly #registry: Registry;
  readonly #host: string;
  readonly #port: number;
  readonly #logger: Logger;
  readonly #server: Server;
  #listening: Promise<AddressInfo> | undefined;

  constructor(options: MetricsServerOptions) {
    this.#registry = options.registry;
    this.#host = options.host ?? DEFAULT_METRICS_HOST;
    this.#port = options.port ?? DEFAULT_METRICS_PORT;
    this.#logger = (options.logger ?? silentLogger()).child({ subsystem: 'metrics' });
    const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#server = createServer({ requestTimeout: timeout, headersTimeout: Math.min(timeout, 60_000), maxHeaderSize: 16 * 1024 }, (req, res) => {
      this.#handle(req, res).catch((err: unknown) => this.#fail(res, err));
    });
    // A request node:http cannot parse (garbage, oversized headers): answer 400 on that
    // connection, log it, and keep serving everyone else.
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      this.#logger.warn({ code: err.code, remote: socket.remoteAddress }, 'malformed request to the metrics endpoint');
      if (socket.writable && !(err.code === 'ECONNRESET')) {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      } else {
        socket.destroy();
      }
    });
  }

  /** Binds the address; resolves with the address actually bound (the port, when 0 was asked for). */
  listen(): Promise<AddressInfo> {
    this.#listening ??= new Promise<AddressInfo>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(this.#port, this.#host, () => {
        this.#server.off('error', onError);
        const address = this.#server.address() as AddressInfo;
        this.#logger.info({ address: address.address, port: address.port }, 'serving metrics');
        resolve(address);
      });
    });
    return this.#listening;
  }

  /** Stops accepting, ends idle keep-alive connections, and resolves once the server is closed. */
  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#server.close((err) => (err ? reject(err) : resolve()));
      this.#server.closeIdleConnections();
    });
  }

  /**
   * Serves until `signal` aborts, then closes. Rejects on a fatal server error (the port is
   * taken, the socket breaks), so the daemon's one shutdown path sees it.
   */
  async serve(signal: AbortSignal): Promise<void> {
    await this.listen();
    try {
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
        this.#server.once('error', reject);
      });
    } finally {
      await this.close();
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== METRICS_PATH) return this.#reply(res, 404, 'not found: only /metrics is served here\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.#reply(res, 405, `method ${req.method} not allowed: use GET\n`);
    }
    const body = await this.#registry.metrics();
    res.writeHead(200, { 'Content-Type': this.#registry.contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  #reply(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  #fail(res: ServerResponse, err: unknown): void {
    this.#logger.error({ err }, 'collecting metrics failed');
    if (res.headersSent) res.destroy();
    else this.#reply(res, 500, 'collecting metrics failed\n');
  }
}
