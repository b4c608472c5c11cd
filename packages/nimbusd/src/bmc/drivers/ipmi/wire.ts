/**
 * IPMI over LAN framing: the RMCP header, the IPMI 1.5 session wrapper (used only for the
 * pre-session Get Channel Authentication Capabilities, as ipmitool does), the IPMI 2.0 /
 * RMCP+ session header, and the IPMI request/response message with its two checksums.
 * Everything here is pure; parse errors are WireError, which the caller maps to a BMC error.
 */

/** RMCP+ payload types (IPMI 2.0 table 13-16). */
export const PAYLOAD = {
  ipmi: 0x00,
  sol: 0x01,
  openSessionRequest: 0x10,
  openSessionResponse: 0x11,
  rakp1: 0x12,
  rakp2: 0x13,
  rakp3: 0x14,
  rakp4: 0x15,
} as const;

export const NETFN = { chassis: 0x00, sensor: 0x04, app: 0x06, storage: 0x0a, transport: 0x0c } as const;

const RMCP_VERSION = 0x06;
const RMCP_NO_ACK_SEQ = 0xff;
const RMCP_CLASS_IPMI = 0x07;
const AUTH_TYPE_NONE = 0x00;
const AUTH_TYPE_RMCP_PLUS = 0x06;
/** Our software ID as requester, and the BMC's slave address. */
export const REQUESTER_ADDR = 0x81;
export const BMC_ADDR = 0x20;

export class WireError extends Error {}

export function checksum(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum = (sum + bytes[i]!) & 0xff;
  return (0x100 - sum) & 0xff;
}

export interface IpmiRequest {
  netFn: number;
  cmd: number;
  /** 6-bit requester sequence number, echoed in the response so we can match it. */
  rqSeq: number;
  data: Uint8Array;
}

export interface IpmiResponse {
  netFn: number;
  cmd: number;
  rqSeq: number;
  completionCode: number;
  data: Buffer;
}

export function encodeIpmiRequest(req: IpmiRequest): Buffer {
  const buf = Buffer.alloc(7 + req.data.length);
  buf[0] = BMC_ADDR;
  buf[1] = (req.netFn << 2) & 0xff;
  buf[2] = checksum(buf, 0, 2);
  buf[3] = REQUESTER_ADDR;
  buf[4] = (req.rqSeq << 2) & 0xff;
  buf[5] = req.cmd;
  buf.set(req.data, 6);
  buf[buf.length - 1] = checksum(buf, 3, buf.length - 1);
  return buf;
}

export function decodeIpmiResponse(msg: Buffer): IpmiResponse {
  if (msg.length < 8) throw new WireError(`IPMI response of ${msg.length} bytes is shorter than the 8-byte minimum`);
  if (checksum(msg, 0, 2) !== msg[2]) throw new WireError('IPMI response header checksum mismatch');
  if (checksum(msg, 3, msg.length - 1) !== msg[msg.length - 1]) throw new WireError('IPMI response data checksum mismatch');
  const netFn = msg[1]! >> 2;
  if ((netFn & 1) !== 1) throw new WireError(`IPMI message with netFn 0x${netFn.toString(16)} is not a response`);
  return { netFn: netFn & ~1, rqSeq: msg[4]! >> 2, cmd: msg[5]!, completionCode: msg[6]!, data: msg.subarray(7, msg.length - 1) };
}

function rmcpHeader(): Buffer {
  return Buffer.from([RMCP_VERSION, 0x00, RMCP_NO_ACK_SEQ, RMCP_CLASS_IPMI]);
}

/** An IPMI 1.5 packet with authentication type "none", session 0: only for pre-session commands. */
export function encodeV15Packet(message: Buffer): Buffer {
  const hdr = Buffer.alloc(10);
  hdr[0] = AUTH_TYPE_NONE; // sequence 1..4 and session id 5..8 stay zero
  hdr[9] = message.length;
  return Buffer.concat([rmcpHeader(), hdr, message]);
}

/** What any inbound packet is, read just far enough to route it. */
export type InboundPacket =
  | { format: 'v15'; sessionId: number; message: Buffer }
  | { format: 'v20'; encrypted: boolean; authenticated: boolean; payloadType: number; sessionId: number; sequence: number; payload: Buffer; /** Bytes covered by the integrity check, and the trailing auth code. */ signed: Buffer; authCode: Buffer };

export function decodePacket(buf: Buffer, authCodeLength: number): InboundPacket {
  if (buf.length < 5) throw new WireError(`packet of ${buf.length} bytes is too short for RMCP`);
  if (buf[0] !== RMCP_VERSION || buf[3] !== RMCP_CLASS_IPMI) throw new WireError('not an RMCP IPMI packet');
  const authType = buf[4]! & 0x0f;
  if (authType === AUTH_TYPE_RMCP_PLUS) {
    if (buf.length < 16) throw new WireError('RMCP+ session header truncated');
    const pt = buf[5]!;
    const payloadType = pt & 0x3f;
    if (payloadType === 0x02) throw new WireError('OEM payloads are not supported');
    const sessionId = buf.readUInt32LE(6);
    const sequence = buf.readUInt32LE(10);
    const length = buf.readUInt16LE(14);
    const end = 16 + length;
    if (buf.length < end) throw new WireError(`RMCP+ payload of ${length} bytes truncated to ${buf.length - 16}`);
    const authenticated = (pt & 0x40) !== 0;
    let authCode: Buffer = Buffer.alloc(0);
    let signed: Buffer = Buffer.alloc(0);
    // authCodeLength 0: the caller only routes pre-session packets and ignores the trailer.
    if (authenticated && authCodeLength > 0) {
      if (buf.length < end + 2 + authCodeLength) throw new WireError('RMCP+ integrity trailer truncated');
      const signedEnd = buf.length - authCodeLength;
      signed = buf.subarray(4, signedEnd);
      authCode = buf.subarray(signedEnd);
      if (buf[signedEnd - 1] !== RMCP_CLASS_IPMI) throw new WireError('RMCP+ trailer has a bad next-header byte');
    }
    return { format: 'v20', encrypted: (pt & 0x80) !== 0, authenticated, payloadType, sessionId, sequence, payload: buf.subarray(16, end), signed, authCode };
  }
  // IPMI 1.5: auth type, sequence (4), session id (4), [auth code (16)], length (1), message
  const hasAuthCode = authType !== AUTH_TYPE_NONE;
  const lenAt = hasAuthCode ? 29 : 13;
  if (buf.length < lenAt + 1) throw new WireError('IPMI 1.5 session header truncated');
  const length = buf[lenAt]!;
  if (buf.length < lenAt + 1 + length) throw new WireError('IPMI 1.5 message truncated');
  return { format: 'v15', sessionId: buf.readUInt32LE(9), message: buf.subarray(lenAt + 1, lenAt + 1 + length) };
}

export interface OutboundV20 {
  payloadType: number;
  sessionId: number;
  sequence: number;
  /** Already encrypted when `encrypted` is set. */
  payload: Buffer;
  encrypted: boolean;
  /** Computes the auth code over the signed bytes; absent for unauthenticated (pre-session) packets. */
  sign?: (signed: Buffer) => Buffer;
}

export function encodeV20Packet(p: OutboundV20): Buffer {
  const hdr = Buffer.alloc(12);
  hdr[0] = AUTH_TYPE_RMCP_PLUS;
  hdr[1] = (p.encrypted ? 0x80 : 0) | (p.sign ? 0x40 : 0) | p.payloadType;
  hdr.writeUInt32LE(p.sessionId >>> 0, 2);
  hdr.writeUInt32LE(p.sequence >>> 0, 6);
  hdr.writeUInt16LE(p.payload.length, 10);
  if (!p.sign) return Buffer.concat([rmcpHeader(), hdr, p.payload]);
  // Integrity pad: 0xFF bytes so that auth type .. next header is a multiple of 4.
  const unpadded = hdr.length + p.payload.length + 2;
  const padLength = (4 - (unpadded % 4)) % 4;
  const trailer = Buffer.alloc(padLength + 2, 0xff);
  trailer[padLength] = padLength;
  trailer[padLength + 1] = RMCP_CLASS_IPMI;
  const signed = Buffer.concat([hdr, p.payload, trailer]);
  return Buffer.concat([rmcpHeader(), signed, p.sign(signed)]);
}
