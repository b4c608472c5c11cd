/**
 * What a route handler sees of one request, and the only way it answers: one of
 * sendText, sendJson or sendFile, exactly once. The server counts the body bytes each
 * sends for its request events.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { HttpResponseStateError } from './errors.ts';
import { readBody } from './read-body.ts';
import { sendFile, type SendFileOptions } from './send-file.ts';

export interface RequestContext {
  /** As sent: `HEAD` when a GET route answers a HEAD request. */
  readonly method: string;
  /** The path as sent, without the query string. */
  readonly path: string;
  /** The route's `:name` segments, percent-decoded; never empty, never containing '/', '\', '..' or a control character. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lower-cased names, as node:http gives them. */
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string | undefined;
  /** Aborts when the client closes the connection before the response is complete. */
  readonly signal: AbortSignal;
  /** The request body; 413 past `maxBytes` (capped at the server's maxBodyBytes), 400 on a bad length, 408 when it is slow. */
  readBody(maxBytes?: number): Promise<Buffer>;
  /** Answers with a text body (`text/plain; charset=utf-8` unless `headers` names a Content-Type). */
  sendText(status: number, text: string, headers?: OutgoingHttpHeaders): void;
  /** Answers with `value` as JSON. */
  sendJson(status: number, value: unknown, headers?: OutgoingHttpHeaders): void;
  /** Streams a file (Range, conditional GET, HEAD); resolves when it has been sent or the client has gone. */
  sendFile(path: string, options?: SendFileOptions): Promise<void>;
}

export interface ExchangeSettings {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
}

/** One request/response pair: implements RequestContext for the handler and keeps the accounting for the server. */
export class Exchange implements RequestContext {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string | undefined;
  readonly signal: AbortSignal;
  /** Body bytes handed to the socket. */
  bodyBytes = 0;
  /** A send method has been called. */
  answered = false;

  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #settings: ExchangeSettings;
  #body: Promise<Buffer> | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    target: { path: string; params: Record<string, string>; query: URLSearchParams },
    settings: ExchangeSettings,
  ) {
    this.#req = req;
    this.#res = res;
    this.#settings = settings;
    this.method = req.method ?? '';
    this.path = target.path;
    this.params = target.params;
    this.query = target.query;
    this.headers = req.headers;
    this.remoteAddress = req.socket.remoteAddress;
    const aborter = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborter.abort(new Error('client closed the connection'));
    });
    this.signal = aborter.signal;
  }

  readBody(maxBytes = this.#settings.maxBodyBytes): Promise<Buffer> {
    this.#body ??= readBody(this.#req, Math.min(maxBytes, this.#settings.maxBodyBytes), this.#settings.bodyTimeoutMs);
    return this.#body;
  }

  sendText(status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
    this.#send(status, Buffer.from(text, 'utf8'), { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  }

  sendJson(status: number, value: unknown, headers: OutgoingHttpHeaders = {}): void {
    this.#send(status, Buffer.from(`${JSON.stringify(value)}\n`, 'utf8'), { 'Content-Type': 'application/json', ...headers });
  }

  async sendFile(path: string, options?: SendFileOptions): Promise<void> {
    this.#claim();
    this.#closeIfBodyUnread();
    await sendFile(this.#req, this.#res, path, options, (bytes) => (this.bodyBytes += bytes));
  }

  /**
   * The server's own answers (404, 405, a handler's error): allowed after a send method
   * was called, as long as no header has gone out. Returns false when it is too late.
   */
  answerFromServer(status: number, text: string, headers: OutgoingHttpHeaders = {}): boolean {
    if (this.#res.headersSent || this.#res.destroyed) return false;
    this.answered = true;
    this.#closeIfBodyUnread();
    this.#write(status, Buffer.from(text, 'utf8'), { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    return true;
  }

  #send(status: number, body: Buffer, headers: OutgoingHttpHeaders): void {
    this.#claim();
    this.#closeIfBodyUnread();
    this.#write(status, body, headers);
  }

  #write(status: number, body: Buffer, headers: OutgoingHttpHeaders): void {
    this.#res.writeHead(status, { ...headers, 'Content-Length': body.length });
    if (this.method === 'HEAD') {
      this.#res.end();
    } else {
      this.#res.end(body);
      this.bodyBytes += body.length;
    }
  }

  #claim(): void {
    if (this.answered || this.#res.headersSent) {
      // No path in the message: it may hold a token. The server logs the route pattern beside it.
      throw new HttpResponseStateError('a handler answered twice: call one send method, once');
    }
    this.answered = true;
  }

  /** A body left unread (a 413, a handler that ignores it) would be the next request's bytes: close after the answer instead. */
  #closeIfBodyUnread(): void {
    const req = this.#req;
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    if (hasBody && !req.complete) this.#res.setHeader('Connection', 'close');
  }
}
