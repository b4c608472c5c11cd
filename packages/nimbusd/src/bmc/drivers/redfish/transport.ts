import axios, { type AxiosInstance, type AxiosResponse, type Method } from 'axios';
import { Agent } from 'node:https';
import { BmcAuthError, BmcProtocolError, BmcTimeoutError } from '../../errors.ts';
import { PinnedCertificateAgent } from './tls.ts';

export type Json = Record<string, unknown>;

/** Per-request time limit when the caller gives no signal of its own. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** Bound on `Members@odata.nextLink` pages, against a service that links in a circle. */
export const MAX_PAGES = 1_000;

export interface TransportOptions {
  /** `https://host:port`, no path. */
  origin: string;
  username: string;
  password: string;
  /** Pins a self-signed certificate instead of verifying against the CAs. */
  tlsFingerprint?: string;
  /** Default `DEFAULT_REQUEST_TIMEOUT_MS`. */
  timeoutMs?: number;
}

/** A non-2xx answer; keeps the status so callers can react to 412 and 404. */
export class RedfishStatusError extends BmcProtocolError {
  readonly status: number;

  constructor(message: string, status: number, details: { messageId?: string; target?: string }) {
    super(message, details);
    this.status = status;
  }
}

/** A JSON answer and the resource's ETag (header, else `@odata.etag`). */
export interface RedfishResponse {
  body: Json;
  etag?: string;
}

type Auth = { kind: 'none' } | { kind: 'basic' } | { kind: 'session'; token: string; location?: string };

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first `@Message.ExtendedInfo` MessageId and the message of a Redfish error body. */
function redfishErrorOf(text: string): { messageId?: string; message?: string } {
  try {
    const body: unknown = JSON.parse(text);
    const error = isObject(body) && isObject(body['error']) ? body['error'] : undefined;
    const info = error?.['@Message.ExtendedInfo'];
    const first = Array.isArray(info) && isObject(info[0]) ? info[0] : undefined;
    const out: { messageId?: string; message?: string } = {};
    const id = first?.['MessageId'] ?? error?.['code'];
    if (typeof id === 'string') out.messageId = id;
    const message = first?.['Message'] ?? error?.['message'];
    if (typeof message === 'string') out.message = message;
    return out;
  } catch {
    return {};
  }
}

/**
 * HTTP to one Redfish service: authentication (session, else Basic), JSON parsing,
 * error mapping, one re-login on an expired session, paging. Error messages carry
 * the method and URL, never a credential; axios errors are not chained as causes
 * because their config holds the Authorization header.
 */
export class RedfishTransport {
  readonly #http: AxiosInstance;
  readonly #options: TransportOptions;
  #auth: Auth = { kind: 'none' };
  #root: Json | undefined;
  /** The login under way, shared by every request that needs one, so a BMC sees one login, not one per request. */
  #loggingIn: Promise<void> | undefined;

  constructor(options: TransportOptions) {
    this.#options = options;
    const httpsAgent = options.tlsFingerprint !== undefined ? new PinnedCertificateAgent(options.tlsFingerprint) : new Agent({ keepAlive: true });
    this.#http = axios.create({
      baseURL: options.origin,
      httpsAgent,
      timeout: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      headers: { Accept: 'application/json', 'OData-Version': '4.0' },
    });
  }

  /** The service root, read once without credentials (DSP0266 leaves it open). */
  async root(signal?: AbortSignal): Promise<Json> {
    this.#root ??= (await this.#send('GET', '/redfish/v1', undefined, {}, signal, false)).body;
    return this.#root;
  }

  /** Logs in through the SessionService when the root links one, else settles on Basic. */
  async login(signal?: AbortSignal): Promise<void> {
    const root = await this.root(signal);
    const sessionsPath = await this.#sessionsPath(root, signal);
    if (sessionsPath === undefined) {
      this.#auth = { kind: 'basic' };
      return;
    }
    const res = await this.#raw('POST', sessionsPath, { UserName: this.#options.username, Password: this.#options.password }, {}, signal);
    if (res.status === 401 || res.status === 403) throw new BmcAuthError(`Redfish login at ${this.#url(sessionsPath)} refused the credentials for user ${this.#options.username}`);
    if (res.status === 404 || res.status === 405 || res.status === 501) {
      // The root links a SessionService the BMC does not really offer: Basic it is.
      this.#auth = { kind: 'basic' };
      return;
    }
    if (res.status < 200 || res.status >= 300) {
      const { messageId } = redfishErrorOf(String(res.data ?? ''));
      const target = this.#url(sessionsPath);
      throw new RedfishStatusError(`Redfish login at ${target}: HTTP ${res.status}${messageId ? ` (${messageId})` : ''}`, res.status, messageId !== undefined ? { messageId, target } : { target });
    }
    const token = res.headers['x-auth-token'];
    if (res.status >= 200 && res.status < 300 && typeof token === 'string' && token !== '') {
      const location = res.headers['location'];
      this.#auth = typeof location === 'string' ? { kind: 'session', token, location } : { kind: 'session', token };
      return;
    }
    // A login that answers without a token: many such BMCs still take Basic.
    this.#auth = { kind: 'basic' };
  }

  /** Ends the session, if one is open; a failure to log out is not worth an error. */
  async logout(): Promise<void> {
    const auth = this.#auth;
    this.#auth = { kind: 'none' };
    if (auth.kind === 'session' && auth.location !== undefined) {
      await this.#raw('DELETE', auth.location, undefined, { 'X-Auth-Token': auth.token }).catch(() => undefined);
    }
  }

  get authKind(): Auth['kind'] {
    return this.#auth.kind;
  }

  get(path: string, signal?: AbortSignal): Promise<RedfishResponse> {
    return this.#send('GET', path, undefined, {}, signal, true);
  }

  post(path: string, body: Json, signal?: AbortSignal): Promise<RedfishResponse> {
    return this.#send('POST', path, body, {}, signal, true);
  }

  patch(path: string, body: Json, etag: string | undefined, signal?: AbortSignal): Promise<RedfishResponse> {
    return this.#send('PATCH', path, body, etag !== undefined ? { 'If-Match': etag } : {}, signal, true);
  }

  /** Every member `@odata.id` of a collection, following `Members@odata.nextLink`. */
  async members(path: string, signal?: AbortSignal): Promise<string[]> {
    const ids: string[] = [];
    let next: string | undefined = path;
    for (let page = 0; next !== undefined; page++) {
      if (page >= MAX_PAGES) throw new BmcProtocolError(`Redfish collection ${this.#url(path)} has more than ${MAX_PAGES} pages`, { target: this.#url(path) });
      const { body } = await this.get(next, signal);
      const members = body['Members'];
      if (members !== undefined && !Array.isArray(members)) {
        throw new BmcProtocolError(`Redfish GET ${this.#url(next)}: Members is not an array`, { target: this.#url(next) });
      }
      for (const m of members ?? []) {
        const id = isObject(m) ? m['@odata.id'] : undefined;
        if (typeof id === 'string') ids.push(id);
      }
      const link = body['Members@odata.nextLink'];
      next = typeof link === 'string' ? link : undefined;
    }
    return ids;
  }

  async #sessionsPath(root: Json, signal?: AbortSignal): Promise<string | undefined> {
    const links = root['Links'];
    const direct = isObject(links) && isObject(links['Sessions']) ? links['Sessions']['@odata.id'] : undefined;
    if (typeof direct === 'string') return direct;
    const service = isObject(root['SessionService']) ? root['SessionService']['@odata.id'] : undefined;
    if (typeof service !== 'string') return undefined;
    const res = await this.#raw('GET', service, undefined, {}, signal);
    if (res.status !== 200) return undefined;
    const body = this.#parse('GET', service, res);
    const sessions = isObject(body['Sessions']) ? body['Sessions']['@odata.id'] : undefined;
    return typeof sessions === 'string' ? sessions : undefined;
  }

  #authHeaders(): Record<string, string> {
    if (this.#auth.kind === 'session') return { 'X-Auth-Token': this.#auth.token };
    if (this.#auth.kind === 'basic') {
      return { Authorization: `Basic ${Buffer.from(`${this.#options.username}:${this.#options.password}`).toString('base64')}` };
    }
    return {};
  }

  /** Logs in unless `seen` is no longer the current auth (another request already did). */
  async #relogin(seen: Auth, signal?: AbortSignal): Promise<void> {
    if (this.#auth !== seen) return;
    this.#loggingIn ??= this.login(signal).finally(() => {
      this.#loggingIn = undefined;
    });
    await this.#loggingIn;
  }

  async #send(method: Method, path: string, body: Json | undefined, headers: Record<string, string>, signal: AbortSignal | undefined, authenticated: boolean): Promise<RedfishResponse> {
    if (authenticated && this.#auth.kind === 'none') await this.#relogin(this.#auth, signal);
    const used = this.#auth;
    let res = await this.#raw(method, path, body, authenticated ? { ...headers, ...this.#authHeaders() } : headers, signal);
    if (res.status === 401 && authenticated && used.kind === 'session') {
      // The BMC dropped our session (timeout, reboot): log in again, once.
      await this.#relogin(used, signal);
      res = await this.#raw(method, path, body, { ...headers, ...this.#authHeaders() }, signal);
    }
    if (res.status === 401) throw new BmcAuthError(`Redfish ${method} ${this.#url(path)}: the BMC refused the credentials for user ${this.#options.username}`);
    if (res.status < 200 || res.status >= 300) {
      const { messageId, message } = redfishErrorOf(String(res.data ?? ''));
      const details: { messageId?: string; target: string } = { target: this.#url(path) };
      if (messageId !== undefined) details.messageId = messageId;
      const what = [messageId, message].filter((s) => s !== undefined).join(': ');
      throw new RedfishStatusError(`Redfish ${method} ${this.#url(path)}: HTTP ${res.status}${what ? ` (${what})` : ''}`, res.status, details);
    }
    const parsed = res.status === 204 || String(res.data ?? '').trim() === '' ? {} : this.#parse(method, path, res);
    const etag = typeof res.headers['etag'] === 'string' ? res.headers['etag'] : parsed['@odata.etag'];
    return typeof etag === 'string' ? { body: parsed, etag } : { body: parsed };
  }

  #parse(method: string, path: string, res: AxiosResponse): Json {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(res.data));
    } catch {
      throw new BmcProtocolError(`Redfish ${method} ${this.#url(path)}: the answer is not valid JSON`, { target: this.#url(path) });
    }
    if (!isObject(parsed)) throw new BmcProtocolError(`Redfish ${method} ${this.#url(path)}: the answer is not a JSON object`, { target: this.#url(path) });
    return parsed;
  }

  /** Resolves `path` (an `@odata.id` or nextLink) against the BMC, refusing other hosts. */
  #url(path: string): string {
    const url = new URL(path, this.#options.origin);
    if (url.origin !== new URL(this.#options.origin).origin) {
      throw new BmcProtocolError(`Redfish link ${url.origin}${url.pathname} points away from the BMC at ${this.#options.origin}`, { target: url.href });
    }
    return url.href;
  }

  async #raw(method: Method, path: string, body: Json | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<AxiosResponse> {
    const url = this.#url(path);
    try {
      return await this.#http.request({ method, url, data: body, headers, ...(signal ? { signal } : {}) });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (signal?.aborted) {
        const reason: unknown = signal.reason;
        if (reason instanceof Error && reason.name === 'TimeoutError') throw new BmcTimeoutError(`Redfish ${method} ${url}: timed out`);
        throw reason;
      }
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
        throw new BmcTimeoutError(`Redfish ${method} ${url}: no answer (${String(code)})`);
      }
      throw new BmcProtocolError(`Redfish ${method} ${url}: ${String(code ?? 'request failed')}: ${(err as Error).message}`, { target: url });
    }
  }
}
