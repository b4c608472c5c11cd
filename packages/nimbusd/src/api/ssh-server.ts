/**
 * The SSH API's server: ssh2 on its own port, public-key authentication only (the key's
 * fingerprint is the caller's identity, the config gives its role), and JSON-RPC 2.0 on a
 * session channel opened with `exec nimbus-api` or `subsystem nimbus-api`.
 */
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel } from 'ssh2';
import { sshFingerprint } from '../config/fingerprint.ts';
import { silentLogger, type Logger } from '../logging/index.ts';
import { identify, type ApiAccess, type Caller } from './identity.ts';
import { errorResponse, parseRequestLine, resultResponse, RPC_ERRORS, RpcError, type RpcResponse } from './json-rpc.ts';
import { DEFAULT_MAX_LINE_BYTES, LineFramer } from './line-framer.ts';
import { serveConsoleChannel } from './console-channel.ts';
import { CONSOLE_CHANNEL_NAME, type CallContext, type Dispatcher } from './methods.ts';

/** The notification method that carries a running call's events; `params.id` is the call's request id. */
export const EVENT_METHOD = 'event';

interface RpcNotification {
  jsonrpc: '2.0';
  method: string;
  params: { id: string | number | null; event: unknown };
}

// ssh2 is CommonJS without named exports node can detect.
const { Server, utils } = ssh2;

/** The command (or subsystem) name that opens the API on a session channel. */
export const API_CHANNEL_NAME = 'nimbus-api';
/** Requests one connection may have running at once unless told otherwise. */
export const DEFAULT_MAX_IN_FLIGHT = 32;

export interface ApiServerOptions {
  /** Address to listen on; port 0 picks a free one (see `ApiServer.address`). */
  host: string;
  port: number;
  /** The host's private key, OpenSSH format. */
  hostKey: string | Buffer;
  access: ApiAccess;
  dispatch: Dispatcher;
  /** The longest request line; DEFAULT_MAX_LINE_BYTES (64 KiB) if unset. */
  maxLineBytes?: number;
  /** Requests per connection running at once; DEFAULT_MAX_IN_FLIGHT if unset. */
  maxInFlight?: number;
  /** Silent if unset. */
  logger?: Logger;
}

export class ApiServer {
  readonly #options: ApiServerOptions;
  readonly #logger: Logger;
  readonly #server: InstanceType<typeof Server>;
  readonly #connections = new Set<Connection>();

  private constructor(options: ApiServerOptions) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger()).child({ subsystem: 'api' });
    this.#server = new Server({ hostKeys: [options.hostKey] }, (connection) => this.#accept(connection));
  }

  /** Starts listening; resolves once the port is bound. */
  static async listen(options: ApiServerOptions): Promise<ApiServer> {
    const server = new ApiServer(options);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(options.port, options.host, () => {
        server.#server.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  get address(): { host: string; port: number } {
    const info = this.#server.address() as AddressInfo;
    return { host: info.address, port: info.port };
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const connection of this.#connections) connection.end();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(connection: Connection): void {
    this.#connections.add(connection);
    let caller: Caller | undefined;
    connection.on('close', () => this.#connections.delete(connection));
    connection.on('error', (err) => this.#logger.debug({ err: err.message }, 'ssh connection error'));
    connection.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const fingerprint = sshFingerprint(ctx.key.data);
      const who = identify(fingerprint, this.#options.access);
      if (!who) {
        this.#logger.info({ fingerprint }, 'ssh key refused: not an admin and not an allowed tenant');
        return ctx.reject(['publickey']);
      }
      // Without a signature the client only asks whether this key would do.
      if (!ctx.signature || !ctx.blob) return ctx.accept();
      const parsed = utils.parseKey(ctx.key.data);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!key || key instanceof Error || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        this.#logger.info({ fingerprint }, 'ssh key refused: bad signature');
        return ctx.reject(['publickey']);
      }
      caller = who;
      ctx.accept();
    });
    connection.on('ready', () => {
      if (!caller) return connection.end();
      const who = caller;
      this.#logger.debug({ fingerprint: who.fingerprint, role: who.role }, 'ssh client authenticated');
      connection.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, reject, info) => {
          const command = info.command.trim();
          if (command === API_CHANNEL_NAME) return this.#serveChannel(accept(), who);
          if (command === CONSOLE_CHANNEL_NAME) {
            return serveConsoleChannel(accept(), who, { dispatch: this.#options.dispatch, maxLineBytes: this.#options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, logger: this.#logger });
          }
          reject();
        });
        session.on('subsystem', (accept, reject, info) => {
          if (info.name !== API_CHANNEL_NAME) return reject();
          this.#serveChannel(accept(), who);
        });
        session.on('pty', (_accept, reject) => reject?.());
        session.on('shell', (_accept, reject) => reject());
      });
    });
  }

  /** JSON-RPC on one channel: a line in, a line out; the channel closes after its input ends and every answer is out. */
  #serveChannel(channel: ServerChannel, caller: Caller): void {
    const maxInFlight = this.#options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    const maxLineBytes = this.#options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    let inFlight = 0;
    let inputEnded = false;
    let closed = false;
    // Long calls (instances.watch) end when their caller goes away.
    const gone = new AbortController();
    const send = (response: RpcResponse | RpcNotification): void => {
      if (!closed) channel.write(`${JSON.stringify(response)}\n`);
    };
    const finishIfDone = (): void => {
      if (inputEnded && inFlight === 0 && !closed) {
        closed = true;
        channel.exit(0);
        channel.end();
      }
    };
    const framer = new LineFramer(maxLineBytes, {
      oversized: (bytes) =>
        send(errorResponse(null, new RpcError(RPC_ERRORS.LIMIT_EXCEEDED, `request line longer than ${maxLineBytes} bytes (at least ${bytes}); it was dropped`, { limit: maxLineBytes }))),
      line: (text) => {
        const parsed = parseRequestLine(text);
        if (!parsed.ok) return send(parsed.response);
        const { request } = parsed;
        const id = request.id ?? null;
        if (inFlight >= maxInFlight) {
          return send(errorResponse(id, new RpcError(RPC_ERRORS.LIMIT_EXCEEDED, `too many requests in flight on this connection (limit ${maxInFlight})`, { limit: maxInFlight })));
        }
        inFlight += 1;
        const context: CallContext = {
          notify: (event) => {
            if (request.id !== undefined) send({ jsonrpc: '2.0', method: EVENT_METHOD, params: { id: request.id, event } });
          },
          signal: gone.signal,
        };
        this.#options
          .dispatch(caller, request, context)
          .then(
            (result) => resultResponse(id, result),
            (err: unknown) => errorResponse(id, err instanceof RpcError ? err : new RpcError(RPC_ERRORS.INTERNAL_ERROR, 'internal error')),
          )
          .then((response) => {
            inFlight -= 1;
            // A request without an id is a notification: it gets no answer.
            if (request.id !== undefined) send(response);
            finishIfDone();
          });
      },
    });
    channel.on('data', (chunk: Buffer) => framer.push(chunk));
    channel.on('end', () => {
      framer.end();
      inputEnded = true;
      finishIfDone();
    });
    channel.on('close', () => {
      closed = true;
      gone.abort();
    });
    channel.on('error', (err: Error) => this.#logger.debug({ err: err.message }, 'api channel error'));
  }
}
