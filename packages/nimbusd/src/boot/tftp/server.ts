/**
 * A read-only TFTP server for network boot: RRQ in octet or netascii mode from one root
 * folder, with the blksize, tsize, timeout and windowsize options. It knows nothing of
 * Nimbus; the daemon counts what `onEvent` reports. Writes are refused, every datagram is
 * parsed defensively, and each transfer runs on its own ephemeral port.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketType } from 'node:dgram';
import { lookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '../../logging/index.ts';
import { BlockSource } from './block-source.ts';
import { TftpConfigError, TftpPacketError } from './errors.ts';
import { LogLimiter } from '../log-limiter.ts';
import { DEFAULT_MAX_BLOCK_SIZE, DEFAULT_MAX_WINDOW_SIZE, negotiate } from './options.ts';
import { encodeError, OPCODE, parsePacket, printable, TFTP_ERROR, type TftpRequest } from './packet.ts';
import { RootDirectory } from './root-directory.ts';
import {
  checkOptions,
  DEFAULT_TFTP_HOST,
  DEFAULT_TFTP_PORT,
  resolveLimits,
  type TftpEvent,
  type TftpLimits,
  type TftpServerOptions,
  type TftpTransferEvent,
  type TftpTransferOutcome,
} from './server-options.ts';
import { Transfer, type Peer, type TransferEnd } from './transfer.ts';

interface ActiveRequest {
  client: Peer;
  /** The request's bytes, to tell a retransmitted RRQ from a new one. */
  signature: string;
  transfer?: Transfer;
}

export class TftpServer {
  readonly #socket: Socket;
  readonly #socketType: SocketType;
  readonly #host: string;
  readonly #root: RootDirectory;
  readonly #logger: Logger;
  readonly #onEvent: ((event: TftpEvent) => void) | undefined;
  readonly #maxBlockSize: number;
  readonly #maxWindowSize: number;
  readonly #limits: Required<TftpLimits>;
  readonly #malformedLog: LogLimiter;
  readonly #active = new Set<ActiveRequest>();
  /** close() waiting for the last transfer to report. */
  readonly #idleWaiters: (() => void)[] = [];
  #closed = false;

  private constructor(options: TftpServerOptions, root: RootDirectory, socketType: SocketType) {
    this.#root = root;
    this.#socketType = socketType;
    this.#host = options.host ?? DEFAULT_TFTP_HOST;
    this.#logger = (options.logger ?? silentLogger()).child({ subsystem: 'tftp' });
    this.#onEvent = options.onEvent;
    this.#maxBlockSize = options.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE;
    this.#maxWindowSize = options.maxWindowSize ?? DEFAULT_MAX_WINDOW_SIZE;
    this.#limits = resolveLimits(options.limits);
    this.#malformedLog = new LogLimiter({ burst: this.#limits.malformedLogBurst, windowMs: this.#limits.malformedLogIntervalMs });
    this.#socket = createSocket({ type: socketType, lookup: literalLookup });
  }

  /** Checks the options, resolves the root and binds the port; resolves once requests are being served. */
  static async listen(options: TftpServerOptions): Promise<TftpServer> {
    checkOptions(options);
    const root = await RootDirectory.open(options.root);
    const server = new TftpServer(options, root, isIPv6(options.host ?? DEFAULT_TFTP_HOST) ? 'udp6' : 'udp4');
    await bind(server.#socket, options.port ?? DEFAULT_TFTP_PORT, server.#host).catch((err: unknown) => {
      server.#socket.close();
      throw new TftpConfigError(`cannot bind TFTP to ${server.#host}:${options.port ?? DEFAULT_TFTP_PORT}: ${(err as Error).message}`, { cause: err });
    });
    server.#socket.on('message', (msg, rinfo) => {
      try {
        server.#onRequest(msg, rinfo);
      } catch (err) {
        // A bug, not the datagram's fault (the parser throws only TftpPacketError): keep serving.
        server.#logger.error({ err }, 'TFTP server failed to handle a datagram');
      }
    });
    // After the bind, a socket error (e.g. ICMP unreachable surfaced by the kernel) concerns one datagram.
    server.#socket.on('error', (err) => server.#logger.warn({ err: err.message }, 'TFTP listening socket error'));
    const address = server.address;
    server.#logger.info({ address: address.address, port: address.port }, 'serving TFTP');
    return server;
  }

  /** The address actually bound (the port, when 0 was asked for). */
  get address(): AddressInfo {
    return this.#socket.address();
  }

  /** Requests being opened or transferred right now. */
  get activeTransfers(): number {
    return this.#active.size;
  }

  /** Stops listening and ends every transfer (the clients get ERROR 0); resolves once they have all reported. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const drained = new Promise<void>((resolve) => (this.#active.size === 0 ? resolve() : this.#idleWaiters.push(resolve)));
    for (const request of this.#active) request.transfer?.abort('server-closed', 'server shutting down');
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    await drained;
  }

  #release(request: ActiveRequest): void {
    this.#active.delete(request);
    if (this.#active.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #onRequest(msg: Buffer, rinfo: RemoteInfo): void {
    if (rinfo.port === 0) return; // nowhere to answer
    const client = { address: rinfo.address, port: rinfo.port };
    let packet;
    try {
      packet = parsePacket(msg);
    } catch (err) {
      if (!(err instanceof TftpPacketError)) throw err;
      this.#malformed(err, msg.length, client);
      // A request that does not parse is answered, so a real client learns why; anything
      // else malformed is not, so the port cannot be used to reflect traffic.
      if (err.opcode === OPCODE.rrq || err.opcode === OPCODE.wrq) this.#reply(client, TFTP_ERROR.illegalOperation, err.message);
      return;
    }
    switch (packet.kind) {
      case 'rrq':
        this.#startRead(packet, msg, client).catch((err: unknown) => this.#logger.error({ err }, 'TFTP request handling failed'));
        return;
      case 'wrq':
        this.#reply(client, TFTP_ERROR.accessViolation, 'this server is read-only: writes are refused');
        this.#report({ client, request: packet, outcome: 'write-refused', started: performance.now() });
        return;
      case 'error':
        return; // never answer an ERROR
      default:
        this.#reply(client, TFTP_ERROR.illegalOperation, `this port takes read requests only, not ${packet.kind.toUpperCase()}`);
    }
  }

  async #startRead(request: TftpRequest, msg: Buffer, client: Peer): Promise<void> {
    const started = performance.now();
    if (this.#closed) return;
    const signature = msg.toString('latin1');
    for (const other of this.#active) {
      // The client resent its RRQ before our first answer arrived: the transfer is already under way.
      if (other.client.address === client.address && other.client.port === client.port && other.signature === signature && !other.transfer?.sentLastBlock) return;
    }
    if (request.mode === 'mail') {
      this.#reply(client, TFTP_ERROR.illegalOperation, 'mail mode is not supported; use octet');
      this.#report({ client, request, outcome: 'unsupported-mode', started });
      return;
    }
    const fromClient = [...this.#active].filter((other) => other.client.address === client.address).length;
    if (this.#active.size >= this.#limits.maxTransfers || fromClient >= this.#limits.maxTransfersPerClient) {
      const why = this.#active.size >= this.#limits.maxTransfers ? `${this.#active.size} transfers in progress` : `${fromClient} transfers from ${client.address} in progress`;
      this.#reply(client, TFTP_ERROR.notDefined, `server busy (${why}), try again later`);
      this.#report({ client, request, outcome: 'busy', started, detail: why });
      return;
    }

    const active: ActiveRequest = { client, signature };
    this.#active.add(active);
    try {
      await this.#openTransfer(active, request, started);
    } catch (err) {
      // Not a refusal the client caused (those are answered above): free the slot and say so.
      if (active.transfer === undefined) {
        this.#release(active);
        this.#reply(client, TFTP_ERROR.notDefined, 'server error');
        this.#report({ client, request, outcome: 'server-error', started, detail: err instanceof Error ? err.message : String(err) });
      }
      throw err;
    }
  }

  /** Opens the file, negotiates, binds the transfer's port and starts it; refusals are answered here. */
  async #openTransfer(active: ActiveRequest, request: TftpRequest, started: number): Promise<void> {
    const { client } = active;
    const opened = await this.#root.openFile(request.filename);
    if (!opened.ok) {
      this.#reply(client, opened.errorCode, opened.message);
      this.#release(active);
      this.#report({ client, request, outcome: opened.outcome, started, detail: opened.message });
      return;
    }
    if (this.#closed) {
      await opened.handle.close();
      this.#release(active);
      this.#report({ client, request, outcome: 'server-closed', started });
      return;
    }
    const socket = createSocket({ type: this.#socketType, lookup: literalLookup });
    try {
      await bind(socket, 0, this.#host);
    } catch (err) {
      socket.close();
      await opened.handle.close();
      this.#reply(client, TFTP_ERROR.notDefined, 'server error: no port for the transfer');
      this.#release(active);
      this.#report({ client, request, outcome: 'server-error', started, detail: (err as Error).message });
      return;
    }
    const netascii = request.mode === 'netascii';
    // tsize is the file's size; a netascii transfer is longer on the wire, so tsize is not answered then.
    const negotiated = negotiate(request.options, netascii ? null : opened.size, { maxBlockSize: this.#maxBlockSize, maxWindowSize: this.#maxWindowSize });
    const timing = {
      retransmitMs: negotiated.timeoutSeconds !== null ? negotiated.timeoutSeconds * 1000 : this.#limits.retransmitMs,
      maxRetransmitMs: this.#limits.maxRetransmitMs,
      maxRetries: this.#limits.maxRetries,
    };
    active.transfer = new Transfer({
      socket,
      peer: client,
      file: opened.handle,
      source: new BlockSource(opened.handle, opened.size, negotiated.blockSize, netascii),
      windowSize: negotiated.windowSize,
      oack: negotiated.accepted.size > 0 ? negotiated.accepted : null,
      timing,
      logger: this.#logger,
      onMalformed: (err, size) => this.#malformed(err, size, client),
      onEnd: (end: TransferEnd) => {
        this.#release(active);
        this.#report({ client, request, outcome: end.outcome, started, end, blockSize: negotiated.blockSize, windowSize: negotiated.windowSize });
      },
    });
    if (this.#closed) active.transfer.abort('server-closed', 'server shutting down');
    else active.transfer.start();
  }

  /** An ERROR from the listening port, for a request that gets no transfer. */
  #reply(client: Peer, errorCode: number, message: string): void {
    if (this.#closed) return;
    this.#socket.send(encodeError(errorCode, printable(message, 200)), client.port, client.address, (err) => {
      if (err) this.#logger.debug({ err: err.message }, 'TFTP error reply not sent');
    });
  }

  #malformed(err: TftpPacketError, size: number, client: Peer): void {
    const allowed = this.#malformedLog.take();
    if (allowed !== null) {
      this.#logger.warn({ client: `${client.address}:${client.port}`, fault: err.fault, offset: err.offset, size, suppressed: allowed.suppressed }, err.message);
    }
    this.#emit({ type: 'malformed', client, fault: err.fault, message: err.message, size });
  }

  #report(r: {
    client: Peer;
    request: TftpRequest;
    outcome: TftpTransferOutcome;
    started: number;
    detail?: string;
    end?: TransferEnd;
    blockSize?: number;
    windowSize?: number;
  }): void {
    const event: TftpTransferEvent = {
      type: 'transfer',
      client: r.client,
      file: r.request.filename,
      mode: r.request.mode,
      outcome: r.outcome,
      bytes: r.end?.bytes ?? 0,
      durationMs: performance.now() - r.started,
      blockSize: r.blockSize ?? 0,
      windowSize: r.windowSize ?? 0,
      retransmissions: r.end?.retransmissions ?? 0,
    };
    const detail = r.end?.detail ?? r.detail;
    if (detail !== undefined) event.detail = detail;
    const line = { client: `${r.client.address}:${r.client.port}`, file: printable(r.request.filename), outcome: r.outcome, bytes: event.bytes, ms: Math.round(event.durationMs), detail };
    if (r.outcome === 'complete') this.#logger.info(line, 'TFTP transfer complete');
    else this.#logger.warn(line, 'TFTP transfer did not complete');
    this.#emit(event);
  }

  #emit(event: TftpEvent): void {
    if (this.#onEvent === undefined) return;
    try {
      this.#onEvent(event);
    } catch (err) {
      this.#logger.error({ err }, 'TFTP onEvent handler threw');
    }
  }
}

/**
 * Peers are always IP literals (taken from the datagram), so resolving them is an identity.
 * dgram's default goes through dns.lookup and a process tick for every packet; with this,
 * send() hands the datagram to the kernel before it returns, which Transfer relies on to
 * close its socket right after a final ERROR.
 */
function literalLookup(hostname: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else lookup(hostname, options, callback);
}

function bind(socket: Socket, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
