/**
 * A typed client for nimbusd's SSH API. The server's host key is pinned: the caller gives
 * the fingerprint it expects (from the registry) and a server with any other key is
 * refused before authentication. There is no trust on first use.
 */
import ssh2 from 'ssh2';
import type { Client as SshClient, ClientChannel } from 'ssh2';
import { sshFingerprint } from '../config/fingerprint.ts';
import { RPC_ERRORS, type RpcErrorObject, type RpcResponse } from './json-rpc.ts';

/** The JSON-RPC error codes the server answers with, for callers that branch on them. */
export { RPC_ERRORS };
import { DEFAULT_MAX_LINE_BYTES, LineFramer } from './line-framer.ts';
import { CONSOLE_CHANNEL_NAME, type ApiMethodName, type ApiMethods } from './methods.ts';
import type { InstanceEvent } from './instance-watch.ts';
import { API_CHANNEL_NAME, EVENT_METHOD } from './ssh-server.ts';

const { Client } = ssh2;

/** The server's host key is not the pinned one. */
export class HostKeyMismatchError extends Error {
  readonly code = 'HOST_KEY_MISMATCH';
  constructor(message: string) {
    super(message);
    this.name = 'HostKeyMismatchError';
  }
}

/** The connection could not be made or was lost. */
export class ApiConnectionError extends Error {
  readonly code = 'API_CONNECTION';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApiConnectionError';
  }
}

/** The server answered a call with a JSON-RPC error. */
export class ApiCallError extends Error {
  readonly code = 'API_CALL';
  readonly rpcCode: number;
  readonly data: Record<string, unknown> | undefined;
  constructor(method: string, error: RpcErrorObject) {
    super(`${method}: ${error.message}`);
    this.name = 'ApiCallError';
    this.rpcCode = error.code;
    this.data = error.data;
  }
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** The caller's private key (OpenSSH or PEM); its fingerprint is the caller's identity. */
  privateKey: string | Buffer;
  /** The `SHA256:…` fingerprint the server's host key must have. */
  hostKeyFingerprint: string;
  /** Give up connecting after this many ms; DEFAULT_CONNECT_TIMEOUT_MS if unset. */
  connectTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** An open serial console: its bytes on `stream` both ways until either side closes. */
export interface ConsoleSession {
  result: ApiMethods['instances.console']['result'];
  /** Write keystrokes, read what the machine prints (it starts paused: pipe it or resume it); destroy it to close the console. */
  stream: ClientChannel;
  /** Settles when the console is closed: nimbusd's exit status, and its reason when it closed it (not us). */
  closed: Promise<{ status: number | null; reason: string | undefined }>;
}

/** The most of nimbusd's stderr on a console channel kept for the closing reason. */
const MAX_CONSOLE_REASON = 4096;

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEvent?: (event: unknown) => void;
}

export class NimbusApiClient {
  readonly #ssh: SshClient;
  readonly #channel: ClientChannel;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closedError: Error | undefined;

  private constructor(ssh: SshClient, channel: ClientChannel) {
    this.#ssh = ssh;
    this.#channel = channel;
    const framer = new LineFramer(Number.MAX_SAFE_INTEGER, { line: (text) => this.#onLine(text), oversized: () => {} });
    channel.on('data', (chunk: Buffer) => framer.push(chunk));
    channel.on('close', () => this.#failAll(new ApiConnectionError('the API channel closed')));
    ssh.on('error', (err) => this.#failAll(new ApiConnectionError(`SSH connection failed: ${err.message}`, { cause: err })));
  }

  /** Connects, checks the host key against the pin, authenticates and opens the API channel. */
  static async connect(options: ConnectOptions): Promise<NimbusApiClient> {
    const ssh = new Client();
    let seenFingerprint: string | undefined;
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      ssh.once('error', (err) => {
        ssh.end();
        if (seenFingerprint !== undefined && seenFingerprint !== options.hostKeyFingerprint) {
          reject(
            new HostKeyMismatchError(
              `host key of ${options.host}:${options.port} is ${seenFingerprint}, not the pinned ${options.hostKeyFingerprint}; refusing to connect`,
            ),
          );
        } else {
          reject(new ApiConnectionError(`cannot connect to ${options.host}:${options.port}: ${err.message}`, { cause: err }));
        }
      });
      ssh.once('ready', () => {
        ssh.exec(API_CHANNEL_NAME, (err, stream) => {
          if (err) {
            ssh.end();
            reject(new ApiConnectionError(`the server refused the ${API_CHANNEL_NAME} channel: ${err.message}`, { cause: err }));
          } else resolve(stream);
        });
      });
      ssh.connect({
        host: options.host,
        port: options.port,
        username: 'nimbus',
        privateKey: options.privateKey,
        readyTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        hostVerifier: (key: Buffer) => {
          seenFingerprint = sshFingerprint(key);
          return seenFingerprint === options.hostKeyFingerprint;
        },
      });
    });
    return new NimbusApiClient(ssh, channel);
  }

  /** Calls a method; rejects with ApiCallError when the server answers with an error. */
  call<M extends ApiMethodName>(method: M, params: ApiMethods[M]['params']): Promise<ApiMethods[M]['result']>;
  call(method: string, params?: unknown, onEvent?: (event: unknown) => void): Promise<unknown>;
  call(method: string, params?: unknown, onEvent?: (event: unknown) => void): Promise<unknown> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const id = this.#nextId++;
    const line = `${JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params })}\n`;
    if (Buffer.byteLength(line) > DEFAULT_MAX_LINE_BYTES) {
      return Promise.reject(new ApiCallError(method, { code: RPC_ERRORS.LIMIT_EXCEEDED, message: `request is larger than ${DEFAULT_MAX_LINE_BYTES} bytes` }));
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { method, resolve, reject, ...(onEvent ? { onEvent } : {}) });
      this.#channel.write(line);
    });
  }

  /**
   * Follows an instance until it is deployed, released, failed, or allocated with nothing
   * to deploy; `onEvent` sees each change on the way. Resolves with the last event.
   */
  watchInstance(
    params: ApiMethods['instances.watch']['params'],
    onEvent: (event: InstanceEvent) => void,
  ): Promise<ApiMethods['instances.watch']['result']> {
    return this.call('instances.watch', params, (event: unknown) => onEvent(event as InstanceEvent)) as Promise<InstanceEvent>;
  }

  /**
   * Opens an instance's serial console on a channel of its own, on this connection: one
   * `instances.console` request line, its answer, then raw bytes. Rejects with ApiCallError
   * when nimbusd refuses (no console, another session has it, not your instance).
   */
  openConsole(params: ApiMethods['instances.console']['params']): Promise<ConsoleSession> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    return new Promise((resolve, reject) => {
      this.#ssh.exec(CONSOLE_CHANNEL_NAME, (err, channel) => {
        if (err) return reject(new ApiConnectionError(`the server refused the ${CONSOLE_CHANNEL_NAME} channel: ${err.message}`, { cause: err }));
        let reason = '';
        let status: number | null = null;
        channel.stderr.on('data', (d: Buffer) => { if (reason.length < MAX_CONSOLE_REASON) reason += d.toString('utf8'); });
        channel.on('exit', (code: number | null) => { status = code; });
        const closed = new Promise<{ status: number | null; reason: string | undefined }>((done) => {
          channel.once('close', () => done({ status, reason: reason.trim() || undefined }));
        });
        let head = Buffer.alloc(0);
        const onHead = (chunk: Buffer): void => {
          head = Buffer.concat([head, chunk]);
          const newline = head.indexOf(0x0a);
          if (newline < 0) return;
          channel.off('data', onHead);
          channel.pause();
          const rest = head.subarray(newline + 1);
          if (rest.length > 0) channel.unshift(rest);
          let response: RpcResponse;
          try {
            response = JSON.parse(head.subarray(0, newline).toString('utf8')) as RpcResponse;
          } catch {
            channel.destroy();
            return reject(new ApiConnectionError('the console channel answered with something that is not JSON-RPC'));
          }
          if ('error' in response) {
            channel.destroy();
            return reject(new ApiCallError('instances.console', response.error));
          }
          resolve({ result: response.result as ConsoleSession['result'], stream: channel, closed });
        };
        channel.on('data', onHead);
        void closed.then(({ reason: why }) => reject(new ApiConnectionError(`the console channel closed before it answered${why ? `: ${why}` : ''}`)));
        channel.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'instances.console', params })}\n`);
      });
    });
  }

  /** Ends the channel and the connection; calls still waiting are rejected. */
  close(): void {
    this.#failAll(new ApiConnectionError('the client was closed'));
    this.#channel.end();
    this.#ssh.end();
  }

  #onLine(text: string): void {
    let response: RpcResponse;
    try {
      response = JSON.parse(text) as RpcResponse;
    } catch {
      return; // Not ours to answer; a server that sends garbage fails its calls by closing.
    }
    const message = response as RpcResponse | { method?: unknown; params?: { id?: unknown; event?: unknown } };
    if ('method' in message && message.method === EVENT_METHOD) {
      const id = message.params?.id;
      if (typeof id === 'number') this.#pending.get(id)?.onEvent?.(message.params?.event);
      return;
    }
    if (typeof response.id !== 'number') return;
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#pending.delete(response.id);
    if ('error' in response) pending.reject(new ApiCallError(pending.method, response.error));
    else pending.resolve(response.result);
  }

  #failAll(err: Error): void {
    this.#closedError ??= err;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }
}
