/**
 * One RMCP+ session with one BMC: the handshake (Get Channel Authentication Capabilities,
 * Open Session, RAKP 1–4, Set Session Privilege Level), then authenticated and encrypted
 * IPMI requests with session sequence numbers, a keep-alive while idle, and Close Session.
 * The session opens lazily on the first command and reopens after it was lost.
 */
import { randomBytes } from 'node:crypto';
import { BmcAuthError, BmcProtocolError, BmcTimeoutError, BmcUnsupportedError } from '../../errors.ts';
import {
  CIPHER_SUITES, codesEqual, decryptPayload, deriveSessionKeys, encryptPayload, integrityCode, rakp2AuthCode, rakp3AuthCode, rakp4Icv,
  sessionIntegrityKey, type CipherSuite, type CipherSuiteId, type RakpContext, type SessionKeys,
} from './crypto.ts';
import { completionCodeText } from './completion-codes.ts';
import {
  AUTH_REJECTED, SUITE_REJECTED, decodeOpenSessionResponse, decodeRakp2, decodeRakp4, describeRmcpStatus, encodeOpenSessionRequest, encodeRakp1, encodeRakp3,
} from './rakp.ts';
import { DEFAULT_RETRY, type IpmiTransport, type RetryPolicy } from './transport.ts';
import { NETFN, PAYLOAD, WireError, decodeIpmiResponse, decodePacket, encodeIpmiRequest, encodeV15Packet, encodeV20Packet } from './wire.ts';

export interface SessionOptions {
  transport: IpmiTransport;
  host: string;
  port: number;
  username: string;
  password: string;
  /** K_g as bytes, when the BMC has one. */
  kg?: Buffer;
  /** Insist on one suite; by default 17 is tried first, then 3. */
  cipherSuite?: CipherSuiteId;
  retry?: RetryPolicy;
  /** Idle time after which a Get Device ID keeps the session alive; 0 disables it. */
  keepAliveMs?: number;
  random?: (size: number) => Buffer;
}

interface Established {
  keys: SessionKeys;
  consoleSessionId: number;
  bmcSessionId: number;
  sequence: number;
}

/** Whole handshakes (Open Session to RAKP 4) tried before a BMC that stops answering mid-way is given up. */
const HANDSHAKE_ATTEMPTS = 3;

/** Administrator role, with the "name-only lookup" bit set as ipmitool does. */
const ROLE_ADMIN_NAME_ONLY = 0x14;

export class IpmiSession {
  readonly #o: SessionOptions;
  readonly #retry: RetryPolicy;
  readonly #random: (size: number) => Buffer;
  #session: Established | undefined;
  #opening: Promise<Established> | undefined;
  #rqSeq = 0;
  #tag = 0;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(options: SessionOptions) {
    this.#o = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#random = options.random ?? randomBytes;
  }

  get cipherSuite(): CipherSuiteId | undefined {
    return this.#session?.keys.suite.id;
  }

  /** The BMC's ID for the open session (what Get Payload Instance Info names); undefined while none is open. */
  get bmcSessionId(): number | undefined {
    return this.#session?.bmcSessionId;
  }

  /** Sends one IPMI request in the session and returns the response data (completion code 0 only). */
  async command(netFn: number, cmd: number, data: Uint8Array, what: string, signal?: AbortSignal): Promise<Buffer> {
    const session = await this.#ensureOpen(signal);
    const rqSeq = this.#nextRqSeq();
    const { transport, host, port } = this.#o;
    const suite = session.keys.suite;
    let response;
    try {
      response = await transport.request(host, port, () => {
        session.sequence = (session.sequence + 1) >>> 0 || 1;
        const payload = encryptPayload(session.keys, encodeIpmiRequest({ netFn, cmd, rqSeq, data }), this.#random(16));
        return encodeV20Packet({ payloadType: PAYLOAD.ipmi, sessionId: session.bmcSessionId, sequence: session.sequence, payload, encrypted: true, sign: (s) => integrityCode(session.keys, s) });
      }, (datagram) => {
        const p = decodePacket(datagram, suite.integrityLength);
        if (p.format !== 'v20' || p.payloadType !== PAYLOAD.ipmi || p.sessionId !== session.consoleSessionId) return undefined;
        if (!p.authenticated || !codesEqual(integrityCode(session.keys, p.signed), p.authCode)) throw new WireError('reply fails the session integrity check');
        const r = decodeIpmiResponse(p.encrypted ? decryptPayload(session.keys, p.payload) : p.payload);
        return r.rqSeq === rqSeq && r.cmd === cmd ? r : undefined;
      }, what, this.#retry, signal);
    } catch (e) {
      // A BMC that stopped answering may have dropped the session: start a new one next time.
      if (e instanceof BmcTimeoutError && this.#session === session) this.#session = undefined;
      throw e;
    }
    this.#armKeepAlive();
    if (response.completionCode !== 0) {
      throw new BmcProtocolError(`${what} failed: ${completionCodeText(response.completionCode)}`, { completionCode: response.completionCode, target: what });
    }
    return response.data;
  }

  /** Sends one payload of another type (SOL) in the session, encrypted and signed, to `port`; nothing is awaited. */
  async sendPayload(payloadType: number, payload: Buffer, port: number, signal?: AbortSignal): Promise<void> {
    const session = await this.#ensureOpen(signal);
    session.sequence = (session.sequence + 1) >>> 0 || 1;
    const encrypted = encryptPayload(session.keys, payload, this.#random(16));
    const packet = encodeV20Packet({ payloadType, sessionId: session.bmcSessionId, sequence: session.sequence, payload: encrypted, encrypted: true, sign: (s) => integrityCode(session.keys, s) });
    await this.#o.transport.send(this.#o.host, port, packet);
  }

  /**
   * Calls `receive` with each payload of `payloadType` the BMC sends this session from
   * `port`, decrypted, once its integrity code checks out (a packet that fails is dropped).
   * Returns the function that stops it.
   */
  async subscribe(payloadType: number, port: number, receive: (payload: Buffer) => void, signal?: AbortSignal): Promise<() => void> {
    const session = await this.#ensureOpen(signal);
    const suite = session.keys.suite;
    return this.#o.transport.listen(this.#o.host, port, (datagram) => {
      let payload: Buffer;
      try {
        const p = decodePacket(datagram, suite.integrityLength);
        if (p.format !== 'v20' || p.payloadType !== payloadType || p.sessionId !== session.consoleSessionId) return false;
        if (!p.authenticated || !codesEqual(integrityCode(session.keys, p.signed), p.authCode)) return true;
        payload = p.encrypted ? decryptPayload(session.keys, p.payload) : p.payload;
      } catch {
        return false; // not a packet of this session: someone else's to take, or nobody's
      }
      receive(payload);
      return true;
    });
  }

  /** Closes the session on the BMC (best effort) and stops the keep-alive. */
  async close(): Promise<void> {
    clearTimeout(this.#keepAlive);
    this.#keepAlive = undefined;
    const session = this.#session ?? (await this.#opening?.catch(() => undefined));
    if (!session) return;
    const id = Buffer.alloc(4);
    id.writeUInt32LE(session.bmcSessionId);
    try {
      await this.command(NETFN.app, 0x3c, id, 'Close Session', AbortSignal.timeout(2000));
    } catch {
      // The BMC forgets idle sessions by itself; nothing more to do.
    } finally {
      this.#session = undefined;
      clearTimeout(this.#keepAlive);
    }
  }

  #armKeepAlive(): void {
    const ms = this.#o.keepAliveMs ?? 20_000;
    if (ms <= 0) return;
    clearTimeout(this.#keepAlive);
    this.#keepAlive = setTimeout(() => {
      this.command(NETFN.app, 0x01, new Uint8Array(0), 'Get Device ID (keep-alive)').catch(() => {});
    }, ms).unref();
  }

  #nextRqSeq(): number {
    this.#rqSeq = (this.#rqSeq + 1) & 0x3f;
    return this.#rqSeq;
  }

  async #ensureOpen(signal?: AbortSignal): Promise<Established> {
    if (this.#session) return this.#session;
    this.#opening ??= this.#open(signal).finally(() => { this.#opening = undefined; });
    this.#session = await this.#opening;
    return this.#session;
  }

  async #open(signal?: AbortSignal): Promise<Established> {
    await this.#authCapabilities(signal);
    const suites: CipherSuiteId[] = this.#o.cipherSuite ? [this.#o.cipherSuite] : [17, 3];
    const rejected: string[] = [];
    for (const id of suites) {
      const session = await this.#handshake(CIPHER_SUITES[id], signal);
      if (typeof session === 'string') {
        rejected.push(`suite ${id}: ${session}`);
        continue;
      }
      this.#session = session;
      await this.command(NETFN.app, 0x3b, Uint8Array.of(0x04), 'Set Session Privilege Level', signal);
      return session;
    }
    throw new BmcUnsupportedError(`BMC ${this.#o.host}:${this.#o.port} offers no usable cipher suite (${rejected.join('; ')})`);
  }

  /**
   * Open Session and RAKP 1–4 for one suite; the reason when the BMC refuses the suite.
   * A lost RAKP 2 or RAKP 4 cannot be had by resending: a BMC that has moved on ignores the
   * repeated message (ipmi_sim does). So a handshake that times out starts again from Open
   * Session, a few times, each with a new console session ID.
   */
  async #handshake(suite: CipherSuite, signal?: AbortSignal): Promise<Established | string> {
    for (let attempt = 1; ; attempt++) {
      const consoleSessionId = this.#random(4).readUInt32LE() || 1;
      try {
        const opened = await this.#openSession(suite, consoleSessionId, signal);
        if (typeof opened === 'string') return opened;
        return await this.#rakp(suite, consoleSessionId, opened, signal);
      } catch (e) {
        if (!(e instanceof BmcTimeoutError) || attempt >= HANDSHAKE_ATTEMPTS) throw e;
      }
    }
  }

  /** Pre-session Get Channel Authentication Capabilities, in IPMI 1.5 framing; checks RMCP+ support. */
  async #authCapabilities(signal?: AbortSignal): Promise<void> {
    const rqSeq = this.#nextRqSeq();
    const msg = encodeIpmiRequest({ netFn: NETFN.app, cmd: 0x38, rqSeq, data: Uint8Array.of(0x8e, 0x04) });
    const r = await this.#o.transport.request(this.#o.host, this.#o.port, () => encodeV15Packet(msg), (d) => {
      const p = decodePacket(d, 0);
      if (p.format !== 'v15') return undefined;
      const resp = decodeIpmiResponse(p.message);
      return resp.cmd === 0x38 && resp.rqSeq === rqSeq ? resp : undefined;
    }, 'Get Channel Authentication Capabilities', this.#retry, signal);
    if (r.completionCode !== 0) throw new BmcProtocolError(`Get Channel Authentication Capabilities failed: ${completionCodeText(r.completionCode)}`, { completionCode: r.completionCode, target: 'Get Channel Authentication Capabilities' });
    if (r.data.length < 8) throw new BmcProtocolError(`Get Channel Authentication Capabilities reply of ${r.data.length} bytes is truncated`);
    if ((r.data[1]! & 0x80) === 0 || (r.data[3]! & 0x02) === 0) throw new BmcUnsupportedError(`BMC ${this.#o.host}:${this.#o.port} does not support IPMI 2.0 (RMCP+)`);
  }

  /** Returns the BMC's session ID, or the reason the BMC refused this suite. */
  async #openSession(suite: CipherSuite, consoleSessionId: number, signal?: AbortSignal): Promise<number | string> {
    const tag = this.#nextTag();
    const payload = encodeOpenSessionRequest(tag, consoleSessionId, suite);
    const r = await this.#presession(PAYLOAD.openSessionRequest, payload, PAYLOAD.openSessionResponse, (p) => {
      const resp = decodeOpenSessionResponse(p);
      return (resp.consoleSessionId ?? consoleSessionId) === consoleSessionId && resp.tag === tag ? resp : undefined;
    }, 'Open Session', signal);
    if (r.status === 0) return r.bmcSessionId;
    if (SUITE_REJECTED.has(r.status)) return describeRmcpStatus(r.status);
    if (AUTH_REJECTED.has(r.status)) throw new BmcAuthError(`BMC refused the session: ${describeRmcpStatus(r.status)}`);
    throw new BmcProtocolError(`Open Session failed: ${describeRmcpStatus(r.status)}`, { target: 'Open Session' });
  }

  async #rakp(suite: CipherSuite, consoleSessionId: number, bmcSessionId: number, signal?: AbortSignal): Promise<Established> {
    const username = Buffer.from(this.#o.username, 'utf8');
    const consoleRandom = this.#random(16);
    const tag1 = this.#nextTag();
    const rakp2 = await this.#presession(PAYLOAD.rakp1, encodeRakp1(tag1, bmcSessionId, consoleRandom, ROLE_ADMIN_NAME_ONLY, username), PAYLOAD.rakp2, (p) => {
      const r = decodeRakp2(p, suite);
      return (r.consoleSessionId ?? consoleSessionId) === consoleSessionId && r.tag === tag1 ? r : undefined;
    }, 'RAKP 1', signal);
    if (rakp2.status !== 0) {
      const Err = AUTH_REJECTED.has(rakp2.status) ? BmcAuthError : BmcProtocolError;
      throw new Err(`BMC refused user '${this.#o.username}': ${describeRmcpStatus(rakp2.status)}`);
    }
    const ctx: RakpContext = {
      suite, consoleSessionId, bmcSessionId, consoleRandom, bmcRandom: Buffer.from(rakp2.bmcRandom), bmcGuid: Buffer.from(rakp2.bmcGuid),
      role: ROLE_ADMIN_NAME_ONLY, username, password: Buffer.from(this.#o.password, 'utf8'), ...(this.#o.kg ? { kg: this.#o.kg } : {}),
    };
    const tag3 = this.#nextTag();
    if (!codesEqual(rakp2AuthCode(ctx), rakp2.authCode)) {
      // Tell the BMC to drop the half-open session, then fail: the password is wrong.
      const abort = encodeRakp3(tag3, 0x0f, bmcSessionId, Buffer.alloc(0));
      await this.#o.transport.send(this.#o.host, this.#o.port, encodeV20Packet({ payloadType: PAYLOAD.rakp3, sessionId: 0, sequence: 0, payload: abort, encrypted: false }));
      throw new BmcAuthError(`BMC rejected the credentials of user '${this.#o.username}' (RAKP 2 check failed: wrong password)`);
    }
    const sik = sessionIntegrityKey(ctx);
    const rakp4 = await this.#presession(PAYLOAD.rakp3, encodeRakp3(tag3, 0, bmcSessionId, rakp3AuthCode(ctx)), PAYLOAD.rakp4, (p) => {
      const r = decodeRakp4(p, suite);
      return (r.consoleSessionId ?? consoleSessionId) === consoleSessionId && r.tag === tag3 ? r : undefined;
    }, 'RAKP 3', signal);
    if (rakp4.status !== 0) {
      const Err = AUTH_REJECTED.has(rakp4.status) ? BmcAuthError : BmcProtocolError;
      throw new Err(`BMC ended the handshake: ${describeRmcpStatus(rakp4.status)}`);
    }
    if (!codesEqual(rakp4Icv(ctx, sik), rakp4.icv)) throw new BmcAuthError('RAKP 4 check failed: the BMC key K_g does not match');
    return { keys: deriveSessionKeys(ctx, sik), consoleSessionId, bmcSessionId, sequence: 0 };
  }

  #nextTag(): number {
    this.#tag = (this.#tag + 1) & 0xff;
    return this.#tag;
  }

  #presession<T>(type: number, payload: Buffer, replyType: number, decode: (payload: Buffer) => T | undefined, what: string, signal?: AbortSignal): Promise<T> {
    const packet = encodeV20Packet({ payloadType: type, sessionId: 0, sequence: 0, payload, encrypted: false });
    return this.#o.transport.request(this.#o.host, this.#o.port, () => packet, (d) => {
      const p = decodePacket(d, 0);
      if (p.format !== 'v20' || p.payloadType !== replyType) return undefined;
      return decode(p.payload);
    }, what, this.#retry, signal);
  }
}
