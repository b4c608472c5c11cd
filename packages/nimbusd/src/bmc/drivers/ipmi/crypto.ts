/**
 * RMCP+ cryptography (IPMI 2.0 section 13.28–13.32): the RAKP key exchange codes, the
 * session keys SIK / K1 / K2, the integrity auth code and AES-CBC-128 confidentiality.
 * Pure functions over node:crypto; randomness is passed in by the caller.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

export type CipherSuiteId = 3 | 17;

export interface CipherSuite {
  id: CipherSuiteId;
  /** Algorithm numbers sent in Open Session Request. */
  authAlg: number;
  integrityAlg: number;
  confidentialityAlg: number;
  hash: 'sha1' | 'sha256';
  /** Length of the RAKP 2/3 key exchange codes (the full HMAC). */
  keyExchangeLength: number;
  /** Length of the RAKP 4 ICV and of every packet's integrity auth code (a truncated HMAC). */
  integrityLength: number;
}

export const CIPHER_SUITES: Readonly<Record<CipherSuiteId, CipherSuite>> = {
  // RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128
  3: { id: 3, authAlg: 0x01, integrityAlg: 0x01, confidentialityAlg: 0x01, hash: 'sha1', keyExchangeLength: 20, integrityLength: 12 },
  // RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128
  17: { id: 17, authAlg: 0x03, integrityAlg: 0x04, confidentialityAlg: 0x01, hash: 'sha256', keyExchangeLength: 32, integrityLength: 16 },
};

/** What both sides know once RAKP 2 has arrived; the inputs of every code below. */
export interface RakpContext {
  suite: CipherSuite;
  /** Remote console (our) session ID and the managed system's (BMC's). */
  consoleSessionId: number;
  bmcSessionId: number;
  consoleRandom: Buffer;
  bmcRandom: Buffer;
  bmcGuid: Buffer;
  /** The role byte exactly as sent in RAKP 1 (privilege level plus the name-only-lookup bit). */
  role: number;
  username: Buffer;
  /** K_uid: the user's password. */
  password: Buffer;
  /** K_g when the BMC has one set; otherwise the password keys the SIK. */
  kg?: Buffer;
}

function hmac(suite: CipherSuite, key: Buffer, data: Buffer): Buffer {
  return createHmac(suite.hash, key).update(data).digest();
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function roleAndName(ctx: RakpContext): Buffer {
  return Buffer.concat([Buffer.from([ctx.role, ctx.username.length]), ctx.username]);
}

/** RAKP 2 key exchange auth code, which proves the BMC knows the password. */
export function rakp2AuthCode(ctx: RakpContext): Buffer {
  const data = Buffer.concat([u32(ctx.consoleSessionId), u32(ctx.bmcSessionId), ctx.consoleRandom, ctx.bmcRandom, ctx.bmcGuid, roleAndName(ctx)]);
  return hmac(ctx.suite, ctx.password, data);
}

/** RAKP 3 key exchange auth code, which proves we know it. */
export function rakp3AuthCode(ctx: RakpContext): Buffer {
  return hmac(ctx.suite, ctx.password, Buffer.concat([ctx.bmcRandom, u32(ctx.consoleSessionId), roleAndName(ctx)]));
}

/** Session Integrity Key, keyed by K_g when set, else by the password. */
export function sessionIntegrityKey(ctx: RakpContext): Buffer {
  return hmac(ctx.suite, ctx.kg ?? ctx.password, Buffer.concat([ctx.consoleRandom, ctx.bmcRandom, roleAndName(ctx)]));
}

/** RAKP 4 integrity check value: HMAC_SIK(Rm | SIDc | GUIDc), truncated. */
export function rakp4Icv(ctx: RakpContext, sik: Buffer): Buffer {
  return hmac(ctx.suite, sik, Buffer.concat([ctx.consoleRandom, u32(ctx.bmcSessionId), ctx.bmcGuid])).subarray(0, ctx.suite.integrityLength);
}

/**
 * K_n = HMAC_SIK(Const_n); K1 keys integrity, K2 confidentiality. Const_n is the byte n
 * repeated 20 times for every suite: SHA-256 suites keep the 20-byte constants of the
 * SHA-1 ones (as ipmitool and BMC firmware do), only the HMAC changes.
 */
export function additionalKey(suite: CipherSuite, sik: Buffer, n: 1 | 2): Buffer {
  return hmac(suite, sik, Buffer.alloc(20, n));
}

export interface SessionKeys {
  suite: CipherSuite;
  k1: Buffer;
  /** The AES-128 key: the first 16 bytes of K2. */
  aesKey: Buffer;
}

export function deriveSessionKeys(ctx: RakpContext, sik: Buffer): SessionKeys {
  return { suite: ctx.suite, k1: additionalKey(ctx.suite, sik, 1), aesKey: additionalKey(ctx.suite, sik, 2).subarray(0, 16) };
}

/** The integrity auth code of a packet: HMAC_K1 over auth type .. next header, truncated. */
export function integrityCode(keys: SessionKeys, signed: Buffer): Buffer {
  return hmac(keys.suite, keys.k1, signed).subarray(0, keys.suite.integrityLength);
}

export function codesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** AES-CBC-128 payload: IV | E(data | 1,2,..,n | n), padded to the block size with IPMI's own pad. */
export function encryptPayload(keys: SessionKeys, plain: Buffer, iv: Buffer): Buffer {
  const padLength = (16 - ((plain.length + 1) % 16)) % 16;
  const pad = Buffer.alloc(padLength + 1);
  for (let i = 0; i < padLength; i++) pad[i] = i + 1;
  pad[padLength] = padLength;
  const cipher = createCipheriv('aes-128-cbc', keys.aesKey, iv).setAutoPadding(false);
  return Buffer.concat([iv, cipher.update(Buffer.concat([plain, pad])), cipher.final()]);
}

export function decryptPayload(keys: SessionKeys, payload: Buffer): Buffer {
  if (payload.length < 32 || payload.length % 16 !== 0) throw new Error(`encrypted payload of ${payload.length} bytes is not IV plus whole AES blocks`);
  const decipher = createDecipheriv('aes-128-cbc', keys.aesKey, payload.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(payload.subarray(16)), decipher.final()]);
  const padLength = plain[plain.length - 1]!;
  if (padLength > 15 || padLength + 1 > plain.length) throw new Error(`bad confidentiality pad length ${padLength}`);
  return plain.subarray(0, plain.length - 1 - padLength);
}
