/**
 * The boot service's HTTP server, generic: routes in, requests answered, every request
 * reported. It knows nothing of machines, deploys or tokens; nimbusd's boot module adds
 * those as routes. node:http underneath, with its parser's limits set and its errors
 * answered (400, 408, 431) without disturbing any other connection.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '../../logging/index.ts';
import { redactHeaders, redactTarget } from './access-log.ts';
import { Exchange } from './context.ts';
import { HttpListenError, HttpRequestError, HttpResponseStateError } from './errors.ts';
import { resolveLimits, type BootHttpLimits, type ResolvedLimits } from './limits.ts';
import { parseRequestTarget } from './request-target.ts';
import { RouteTable, type Route } from './routes.ts';

/** One finished request, for metrics: label by `route` (the pattern), never by the raw path. */
export interface RequestEvent {
  /** As sent; '' for a request the HTTP parser refused (garbage, oversized headers). */
  method: string;
  /** The matched route's pattern; null for a 404 or a request whose path was refused. */
  route: string | null;
  status: number;
  /** Response body bytes handed to the socket. */
  bytes: number;
  durationMs: number;
  /** `aborted` when the connection closed before the response was complete. */
  outcome: 'completed' | 'aborted';
}

export interface BootHttpServerOptions {
  /** Address to bind: the provisioning interface's, or 127.0.0.1 in tests. */
  host: string;
  /** Port to bind; 0 picks a free one (see `address`). */
  port: number;
  routes: readonly Route[];
  /** Defaults to a silent logger. Access lines go out at debug level. */
  logger?: Logger;
  /** Called once per request when its connection is done with it; must not throw (a throw is logged and ignored). */
  onRequest?: (event: RequestEvent) => void;
  limits?: BootHttpLimits;
}

/** Answers for requests node:http's parser refuses, by llhttp error code. */
const PARSER_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADERS_TIMEOUT: 408,
};

export class BootHttpServer {
  /** The address actually bound. */
  readonly address: AddressInfo;

  readonly #server: Server;
  readonly #routes: RouteTable;
  readonly #logger: Logger;
  readonly #limits: ResolvedLimits;
  readonly #onRequest: ((event: RequestEvent) => void) | undefined;
  /**
   * Responses in progress per socket (more than one when requests are pipelined): a parser
   * error on a busy socket cuts the connection instead of writing a status line into a response.
   */
  readonly #busy = new WeakMap<Socket, number>();
  #closing: Promise<void> | undefined;

  private constructor(server: Server, address: AddressInfo, routes: RouteTable, logger: Logger, limits: ResolvedLimits, onRequest: BootHttpServerOptions['onRequest']) {
    this.#server = server;
    this.address = address;
    this.#routes = routes;
    this.#logger = logger;
    this.#limits = limits;
    this.#onRequest = onRequest;
  }

  /** Validates the routes, binds host:port and starts serving. Throws HttpRouteError or HttpListenError. */
  static async listen(options: BootHttpServerOptions): Promise<BootHttpServer> {
    const routes = new RouteTable(options.routes);
    const limits = resolveLimits(options.limits);
    const logger = (options.logger ?? silentLogger()).child({ subsystem: 'boot-http' });
    const server = createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 2))),
    });
    // Inactivity of a socket with a request in progress. node does not count a write that is
    // still draining as inactivity (it watches the write queue), so a slow download survives.
    server.timeout = limits.idleTimeoutMs;
    server.maxConnections = limits.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause: NodeJS.ErrnoException) => {
        reject(new HttpListenError(`cannot listen on ${options.host}:${options.port} (${cause.code ?? cause.message}): pick a free port or an address of this host`, { cause }));
      });
      server.listen(options.port, options.host, resolve);
    });
    server.removeAllListeners('error');
    server.on('error', (err) => logger.error({ err }, 'boot HTTP server error'));
    const self = new BootHttpServer(server, server.address() as AddressInfo, routes, logger, limits, options.onRequest);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      self.#handle(req, res).catch((err: unknown) => {
        // Only an answer that cannot be written lands here; the connection is all that is left to end.
        logger.error({ err }, 'boot HTTP request could not be answered');
        res.destroy();
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => self.#clientError(err, socket));
    logger.info({ address: self.address.address, port: self.address.port }, 'boot HTTP server listening');
    return self;
  }

  /**
   * Stops accepting, closes idle keep-alive connections, lets responses in flight finish
   * for up to closeGraceMs, then destroys whatever is left. Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const grace = setTimeout(() => {
        this.#logger.warn('boot HTTP responses still in flight after the close grace period: cutting them');
        this.#server.closeAllConnections();
      }, this.#limits.closeGraceMs);
      this.#server.close(() => {
        clearTimeout(grace);
        resolve();
      });
      this.#server.closeIdleConnections();
    });
    return this.#closing;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    // Errors on a request stream (a broken chunked body) reach readBody if it is reading; otherwise there is nothing to do.
    req.on('error', () => {});
    const socket = req.socket;
    this.#busy.set(socket, (this.#busy.get(socket) ?? 0) + 1);
    if (this.#closing) res.setHeader('Connection', 'close');
    let route: Route | undefined;
    let exchange: Exchange | undefined;
    res.once('close', () => {
      this.#busy.set(socket, (this.#busy.get(socket) ?? 1) - 1);
      this.#report(req, res, route, exchange?.bodyBytes ?? 0, performance.now() - started);
      // A keep-alive connection whose response just ended is idle now: let close() proceed.
      if (this.#closing) this.#server.closeIdleConnections();
    });

    const settings = { maxBodyBytes: this.#limits.maxBodyBytes, bodyTimeoutMs: this.#limits.bodyTimeoutMs };
    try {
      const target = parseRequestTarget(req.url ?? '');
      const found = this.#routes.lookup(req.method ?? '', target.segments);
      const params = found.kind === 'found' ? found.params : {};
      exchange = new Exchange(req, res, { path: target.rawPath, params, query: target.query }, settings);
      if (found.kind === 'not-found') {
        exchange.answerFromServer(404, 'Not Found\n');
      } else if (found.kind === 'method-not-allowed') {
        exchange.answerFromServer(405, `Method Not Allowed: use ${found.allow.join(', ')}\n`, { Allow: found.allow.join(', ') });
      } else {
        route = found.route;
        await route.handler(exchange);
        if (!exchange.answered) throw new HttpResponseStateError(`the handler for ${route.method} ${route.pattern} returned without answering`);
      }
    } catch (error) {
      exchange ??= new Exchange(req, res, { path: '', params: {}, query: new URLSearchParams() }, settings);
      this.#fail(exchange, res, route, error);
    }
  }

  #fail(exchange: Exchange, res: ServerResponse, route: Route | undefined, error: unknown): void {
    const where = { method: exchange.method, route: route?.pattern ?? null };
    if (error instanceof HttpRequestError) {
      this.#logger.debug({ ...where, code: error.code, reason: error.message }, 'boot HTTP request refused');
      if (!exchange.answerFromServer(error.status, error.responseText()) && !res.writableEnded) res.destroy();
      return;
    }
    // Logged with its stack for the operator; the client only learns that it failed.
    this.#logger.error({ ...where, err: error }, 'boot HTTP handler failed');
    if (!exchange.answerFromServer(500, `${STATUS_CODES[500]}\n`) && !res.writableEnded) res.destroy();
  }

  #report(req: IncomingMessage, res: ServerResponse, route: Route | undefined, bytes: number, durationMs: number): void {
    const event: RequestEvent = {
      method: req.method ?? '',
      route: route?.pattern ?? null,
      status: res.statusCode,
      bytes,
      durationMs,
      outcome: res.writableFinished ? 'completed' : 'aborted',
    };
    if (this.#logger.isLevelEnabled('debug')) {
      this.#logger.debug(
        { ...event, target: redactTarget(req.url ?? '', route), remote: req.socket.remoteAddress, headers: redactHeaders(req.headers) },
        'boot HTTP request',
      );
    }
    this.#emit(event);
  }

  /**
   * A request node:http could not parse (or whose headers did not arrive in time): answered
   * with a bare status and a closed connection, reported with method '' and no route.
   */
  #clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const status = PARSER_ERROR_STATUS[err.code ?? ''] ?? 400;
    this.#logger.debug({ code: err.code, remote: socket.remoteAddress, status }, 'boot HTTP request refused by the parser');
    if (err.code === 'ECONNRESET' || !socket.writable || (this.#busy.get(socket) ?? 0) > 0) {
      socket.destroy();
      return;
    }
    const text = `${STATUS_CODES[status]}\n`;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`);
    this.#emit({ method: '', route: null, status, bytes: text.length, durationMs: 0, outcome: 'completed' });
  }

  #emit(event: RequestEvent): void {
    try {
      this.#onRequest?.(event);
    } catch (err) {
      this.#logger.warn({ err }, 'the onRequest callback threw; the event is dropped');
    }
  }
}
