/**
 * TFTP packets (RFC 1350) with the option extension (RFC 2347): one parser that turns any
 * byte string into a packet or a TftpPacketError saying what is wrong and where, and one
 * encoder per packet kind.
 */
import { TftpPacketError, TftpEncodeError } from './errors.ts';

export const OPCODE = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;

/** ERROR packet codes: RFC 1350 §5 and 8 from RFC 2347. */
export const TFTP_ERROR = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionsRefused: 8,
} as const;

/** RFC 2347: a request (RRQ/WRQ) never exceeds 512 bytes, options included. */
export const MAX_REQUEST_BYTES = 512;
/** RFC 2348: the largest block size; a DATA packet is 4 bytes of header plus at most this. */
export const MAX_BLOCK_SIZE = 65_464;
export const MAX_DATAGRAM_BYTES = 4 + MAX_BLOCK_SIZE;

/** The options whose values are decimal numbers (RFC 2348, 2349, 7440); anything else there is malformed. */
export const NUMERIC_OPTIONS: ReadonlySet<string> = new Set(['blksize', 'tsize', 'timeout', 'windowsize']);

/** `mail` is RFC 1350's obsolete third mode: parsed so the server can refuse it by name. */
export type TftpMode = 'netascii' | 'octet' | 'mail';

/** Option names lower-cased (RFC 2347 says they are case-insensitive), values as sent, in the order sent. */
export type TftpOptions = ReadonlyMap<string, string>;

export interface TftpRequest {
  kind: 'rrq' | 'wrq';
  filename: string;
  mode: TftpMode;
  options: TftpOptions;
}
export interface TftpData {
  kind: 'data';
  /** The block number as on the wire, 0–65535 (it wraps). */
  block: number;
  data: Uint8Array;
}
export interface TftpAck {
  kind: 'ack';
  block: number;
}
export interface TftpErrorPacket {
  kind: 'error';
  errorCode: number;
  message: string;
}
export interface TftpOack {
  kind: 'oack';
  options: TftpOptions;
}
export type TftpPacket = TftpRequest | TftpData | TftpAck | TftpErrorPacket | TftpOack;

const MODES: ReadonlySet<string> = new Set<TftpMode>(['netascii', 'octet', 'mail']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses one datagram. Throws TftpPacketError, and nothing else, on any malformed input. */
export function parsePacket(bytes: Uint8Array): TftpPacket {
  if (bytes.length < 2) throw new TftpPacketError('truncated', `${bytes.length} byte(s), shorter than the 2-byte opcode`, 0, null);
  const opcode = (bytes[0]! << 8) | bytes[1]!;
  const fail = (fault: ConstructorParameters<typeof TftpPacketError>[0], message: string, offset: number): never => {
    throw new TftpPacketError(fault, message, offset, opcode);
  };
  switch (opcode) {
    case OPCODE.rrq:
    case OPCODE.wrq: {
      const kind = opcode === OPCODE.rrq ? 'rrq' : 'wrq';
      if (bytes.length > MAX_REQUEST_BYTES) fail('oversized', `a ${kind.toUpperCase()} of ${bytes.length} bytes; RFC 2347 allows ${MAX_REQUEST_BYTES}`, MAX_REQUEST_BYTES);
      const strings = splitStrings(bytes, 2, opcode);
      const [rawName, rawMode, ...optionStrings] = strings;
      if (rawName === undefined) return fail('truncated', 'no filename after the opcode', 2);
      if (rawMode === undefined) return fail('truncated', 'no transfer mode after the filename', rawName.end + 1);
      if (rawName.bytes.length === 0) fail('empty-filename', 'the filename is empty', rawName.start);
      let filename: string;
      try {
        filename = utf8.decode(rawName.bytes);
      } catch {
        return fail('bad-filename', 'the filename is not valid UTF-8', rawName.start);
      }
      const mode = latin1(rawMode.bytes).toLowerCase();
      if (!MODES.has(mode)) fail('unknown-mode', `transfer mode "${printable(mode)}" is none of netascii, octet, mail`, rawMode.start);
      const options = parseOptions(optionStrings, opcode);
      return { kind, filename, mode: mode as TftpMode, options };
    }
    case OPCODE.data: {
      if (bytes.length < 4) fail('truncated', `a DATA packet of ${bytes.length} bytes has no complete block number`, 2);
      if (bytes.length > MAX_DATAGRAM_BYTES) fail('oversized', `a DATA packet carrying ${bytes.length - 4} bytes; the largest block is ${MAX_BLOCK_SIZE}`, 4);
      return { kind: 'data', block: (bytes[2]! << 8) | bytes[3]!, data: bytes.subarray(4) };
    }
    case OPCODE.ack: {
      if (bytes.length < 4) fail('truncated', `an ACK of ${bytes.length} bytes has no complete block number`, 2);
      if (bytes.length > 4) fail('trailing-bytes', `an ACK is 4 bytes, this one has ${bytes.length - 4} more`, 4);
      return { kind: 'ack', block: (bytes[2]! << 8) | bytes[3]! };
    }
    case OPCODE.error: {
      if (bytes.length < 4) fail('truncated', `an ERROR of ${bytes.length} bytes has no complete error code`, 2);
      if (bytes.length > MAX_DATAGRAM_BYTES) fail('oversized', `an ERROR of ${bytes.length} bytes`, MAX_DATAGRAM_BYTES);
      // Some clients forget the message's NUL; the error is still an error, so take what is there.
      const end = bytes.indexOf(0, 4);
      if (end !== -1 && end !== bytes.length - 1) fail('trailing-bytes', `${bytes.length - end - 1} byte(s) after the error message's NUL`, end + 1);
      const message = latin1(bytes.subarray(4, end === -1 ? bytes.length : end));
      return { kind: 'error', errorCode: (bytes[2]! << 8) | bytes[3]!, message };
    }
    case OPCODE.oack: {
      if (bytes.length > MAX_DATAGRAM_BYTES) fail('oversized', `an OACK of ${bytes.length} bytes`, MAX_DATAGRAM_BYTES);
      return { kind: 'oack', options: parseOptions(splitStrings(bytes, 2, opcode), opcode) };
    }
    default:
      return fail('unknown-opcode', `opcode ${opcode} is none of 1 (RRQ) to 6 (OACK)`, 0);
  }
}

interface RawString {
  bytes: Uint8Array;
  /** Offset of the first byte and of the terminating NUL. */
  start: number;
  end: number;
}

/** The NUL-terminated strings from `from` to the end; the last one must be terminated too. */
function splitStrings(bytes: Uint8Array, from: number, opcode: number): RawString[] {
  const strings: RawString[] = [];
  let start = from;
  while (start < bytes.length) {
    const end = bytes.indexOf(0, start);
    if (end === -1) {
      const what = strings.length === 0 ? 'filename' : strings.length === 1 ? 'transfer mode' : `option string ${strings.length - 1}`;
      throw new TftpPacketError('unterminated-string', `the ${what} runs to the end of the packet without its NUL`, start, opcode);
    }
    strings.push({ bytes: bytes.subarray(start, end), start, end });
    start = end + 1;
  }
  return strings;
}

function parseOptions(strings: readonly RawString[], opcode: number): TftpOptions {
  if (strings.length % 2 !== 0) {
    const last = strings[strings.length - 1]!;
    throw new TftpPacketError('odd-option-list', `option "${printable(latin1(last.bytes))}" has no value`, last.start, opcode);
  }
  const options = new Map<string, string>();
  for (let i = 0; i < strings.length; i += 2) {
    const name = strings[i]!;
    const value = strings[i + 1]!;
    const key = latin1(name.bytes).toLowerCase();
    if (key.length === 0) throw new TftpPacketError('empty-option-name', 'an option with an empty name', name.start, opcode);
    if (options.has(key)) throw new TftpPacketError('duplicate-option', `option "${printable(key)}" is given twice`, name.start, opcode);
    const text = latin1(value.bytes);
    if (NUMERIC_OPTIONS.has(key) && !isDecimal(text)) {
      throw new TftpPacketError('bad-option-value', `option "${key}" needs a decimal number, got "${printable(text)}"`, value.start, opcode);
    }
    options.set(key, text);
  }
  return options;
}

/** 1–15 digits: every value these options take fits, and so does Number's exact range. */
function isDecimal(text: string): boolean {
  return /^[0-9]{1,15}$/.test(text);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** For messages: control characters shown as `?`, long strings cut, so a hostile packet cannot forge log lines. */
export function printable(text: string, max = 64): string {
  const clean = text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

// ---------------------------------------------------------------------------- encoding

function header(opcode: number, block: number, extra: number): Buffer {
  const buf = Buffer.allocUnsafe(4 + extra);
  buf.writeUInt16BE(opcode, 0);
  buf.writeUInt16BE(block, 2);
  return buf;
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new TftpEncodeError(`${what} ${value} is not in 0–65535`);
}

function cString(text: string, encoding: 'utf8' | 'latin1', what: string): Buffer {
  if (text.includes('\0')) throw new TftpEncodeError(`the ${what} contains a NUL byte`);
  return Buffer.from(`${text}\0`, encoding);
}

function optionBytes(options: TftpOptions): Buffer[] {
  const parts: Buffer[] = [];
  for (const [name, value] of options) parts.push(cString(name, 'latin1', `option name "${name}"`), cString(value, 'latin1', `value of option "${name}"`));
  return parts;
}

export function encodeRequest(request: Omit<TftpRequest, 'options'> & { options?: TftpOptions }): Buffer {
  const op = Buffer.alloc(2);
  op.writeUInt16BE(request.kind === 'rrq' ? OPCODE.rrq : OPCODE.wrq);
  return Buffer.concat([op, cString(request.filename, 'utf8', 'filename'), cString(request.mode, 'latin1', 'mode'), ...optionBytes(request.options ?? new Map())]);
}

export function encodeData(block: number, data: Uint8Array): Buffer {
  checkUint16(block, 'block number');
  if (data.length > MAX_BLOCK_SIZE) throw new TftpEncodeError(`a DATA block of ${data.length} bytes; the largest is ${MAX_BLOCK_SIZE}`);
  const buf = header(OPCODE.data, block, data.length);
  buf.set(data, 4);
  return buf;
}

export function encodeAck(block: number): Buffer {
  checkUint16(block, 'block number');
  return header(OPCODE.ack, block, 0);
}

export function encodeError(errorCode: number, message: string): Buffer {
  checkUint16(errorCode, 'error code');
  return Buffer.concat([header(OPCODE.error, errorCode, 0), cString(message, 'latin1', 'error message')]);
}

export function encodeOack(options: TftpOptions): Buffer {
  const op = Buffer.alloc(2);
  op.writeUInt16BE(OPCODE.oack);
  return Buffer.concat([op, ...optionBytes(options)]);
}

export function encodePacket(packet: TftpPacket): Buffer {
  switch (packet.kind) {
    case 'rrq':
    case 'wrq':
      return encodeRequest(packet);
    case 'data':
      return encodeData(packet.block, packet.data);
    case 'ack':
      return encodeAck(packet.block);
    case 'error':
      return encodeError(packet.errorCode, packet.message);
    case 'oack':
      return encodeOack(packet.options);
  }
}
