/**
 * RMCP+ session establishment payloads (IPMI 2.0 section 13.17–13.23): Open Session
 * Request/Response and RAKP messages 1–4. Encoders take plain values; decoders check
 * lengths and return plain values, throwing WireError on anything malformed.
 */
import type { CipherSuite } from './crypto.ts';
import { WireError } from './wire.ts';

/** RMCP+ status codes (table 13-15) that a session setup can fail with. */
export const RMCP_STATUS: Readonly<Record<number, string>> = {
  0x01: 'insufficient resources to create a session',
  0x02: 'invalid session ID',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session ID',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
};

export function describeRmcpStatus(status: number): string {
  return `RMCP+ status 0x${status.toString(16).padStart(2, '0')} (${RMCP_STATUS[status] ?? 'unknown'})`;
}

/** Statuses that mean "this BMC will not do this cipher suite". */
export const SUITE_REJECTED = new Set([0x04, 0x05, 0x06, 0x07, 0x10, 0x11]);
/** Statuses that mean "these credentials are not accepted". */
export const AUTH_REJECTED = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x0e, 0x0f]);

function algorithmRecord(type: number, alg: number): Buffer {
  return Buffer.from([type, 0, 0, 8, alg, 0, 0, 0]);
}

export function encodeOpenSessionRequest(tag: number, consoleSessionId: number, suite: CipherSuite): Buffer {
  const head = Buffer.alloc(8);
  head[0] = tag;
  head[1] = 0x04; // maximum privilege: administrator
  head.writeUInt32LE(consoleSessionId >>> 0, 4);
  return Buffer.concat([head, algorithmRecord(0, suite.authAlg), algorithmRecord(1, suite.integrityAlg), algorithmRecord(2, suite.confidentialityAlg)]);
}

export interface OpenSessionResponse {
  tag: number;
  status: number;
  /** Absent in a short refusal. */
  consoleSessionId: number | undefined;
  bmcSessionId: number;
}

export function decodeOpenSessionResponse(p: Buffer): OpenSessionResponse {
  if (p.length < 2) throw new WireError(`Open Session Response of ${p.length} bytes is truncated`);
  const status = p[1]!;
  // Some BMCs (ipmi_sim) answer a refusal with just the tag and the status.
  if (status !== 0) return { tag: p[0]!, status, consoleSessionId: p.length >= 8 ? p.readUInt32LE(4) : undefined, bmcSessionId: 0 };
  if (p.length < 36) throw new WireError(`Open Session Response of ${p.length} bytes is truncated`);
  return { tag: p[0]!, status, consoleSessionId: p.readUInt32LE(4), bmcSessionId: p.readUInt32LE(8) };
}

export function encodeRakp1(tag: number, bmcSessionId: number, consoleRandom: Buffer, role: number, username: Buffer): Buffer {
  const b = Buffer.alloc(28 + username.length);
  b[0] = tag;
  b.writeUInt32LE(bmcSessionId >>> 0, 4);
  consoleRandom.copy(b, 8);
  b[24] = role;
  b[27] = username.length;
  username.copy(b, 28);
  return b;
}

export interface Rakp2 {
  tag: number;
  status: number;
  consoleSessionId: number | undefined;
  bmcRandom: Buffer;
  bmcGuid: Buffer;
  authCode: Buffer;
}

export function decodeRakp2(p: Buffer, suite: CipherSuite): Rakp2 {
  if (p.length < 2) throw new WireError(`RAKP 2 of ${p.length} bytes is truncated`);
  const status = p[1]!;
  const consoleSessionId = p.length >= 8 ? p.readUInt32LE(4) : undefined;
  if (status === 0 && consoleSessionId === undefined) throw new WireError(`RAKP 2 of ${p.length} bytes is truncated`);
  if (status !== 0) return { tag: p[0]!, status, consoleSessionId, bmcRandom: Buffer.alloc(0), bmcGuid: Buffer.alloc(0), authCode: Buffer.alloc(0) };
  if (p.length < 40 + suite.keyExchangeLength) throw new WireError(`RAKP 2 of ${p.length} bytes is truncated`);
  return { tag: p[0]!, status, consoleSessionId, bmcRandom: p.subarray(8, 24), bmcGuid: p.subarray(24, 40), authCode: p.subarray(40, 40 + suite.keyExchangeLength) };
}

export function encodeRakp3(tag: number, status: number, bmcSessionId: number, authCode: Buffer): Buffer {
  const b = Buffer.alloc(8 + authCode.length);
  b[0] = tag;
  b[1] = status;
  b.writeUInt32LE(bmcSessionId >>> 0, 4);
  authCode.copy(b, 8);
  return b;
}

export interface Rakp4 {
  tag: number;
  status: number;
  consoleSessionId: number | undefined;
  icv: Buffer;
}

export function decodeRakp4(p: Buffer, suite: CipherSuite): Rakp4 {
  if (p.length < 2) throw new WireError(`RAKP 4 of ${p.length} bytes is truncated`);
  const status = p[1]!;
  const consoleSessionId = p.length >= 8 ? p.readUInt32LE(4) : undefined;
  if (status === 0 && consoleSessionId === undefined) throw new WireError(`RAKP 4 of ${p.length} bytes is truncated`);
  if (status !== 0) return { tag: p[0]!, status, consoleSessionId, icv: Buffer.alloc(0) };
  if (p.length < 8 + suite.integrityLength) throw new WireError(`RAKP 4 of ${p.length} bytes is truncated`);
  return { tag: p[0]!, status, consoleSessionId, icv: p.subarray(8, 8 + suite.integrityLength) };
}
