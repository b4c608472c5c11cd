/**
 * DHCPv4 messages (RFC 2131 §2, RFC 2132) on the wire: the fixed BOOTP header, the magic
 * cookie, and the option stream, including options continued into the `file` and `sname`
 * fields (option 52) and options split into several instances (RFC 3396). Only Ethernet
 * clients are accepted (htype 1, hlen 6). `parseDhcpMessage` throws nothing but
 * `DhcpPacketError`, whatever the bytes.
 */
import { DhcpEncodeError, DhcpPacketError } from './errors.ts';
import { ipv4ToNumber, readIpv4, ZERO_ADDRESS } from './ipv4.ts';
import { decodeOption, decodeSubOptions, optionValues } from './option-codecs.ts';
import { OPTION, optionLabel, type DhcpOptions } from './options.ts';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

/** The fixed header (236 bytes) plus the magic cookie. */
export const DHCP_HEADER_BYTES = 240;
/** The largest message accepted: a full standard Ethernet frame (1500) less the IP (20) and UDP (8) headers. */
export const DHCP_MAX_MESSAGE_BYTES = 1472;
/** What every DHCP client must accept (RFC 2131 §2); a reply is never larger unless the client's option 57 allows it. */
export const DHCP_MIN_MAX_MESSAGE_BYTES = 576;
/** Replies are padded to the BOOTP size (RFC 1542 §3.3): some PXE ROMs and relays drop shorter packets. */
export const BOOTP_MIN_MESSAGE_BYTES = 300;

const MAGIC_COOKIE = 0x63825363;
const SNAME_OFFSET = 44;
const SNAME_BYTES = 64;
const FILE_OFFSET = 108;
const FILE_BYTES = 128;

export interface DhcpMessage {
  /** 1 = BOOTREQUEST (client to server), 2 = BOOTREPLY. */
  op: number;
  hops: number;
  xid: number;
  secs: number;
  /** Bit 15 is the broadcast flag. */
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The client's Ethernet address, lower-case and colon separated. */
  chaddr: string;
  /** Server host name; empty when absent or when the field carries options. */
  sname: string;
  /** Boot file name; empty when absent or when the field carries options. */
  file: string;
  options: DhcpOptions;
}

export const BROADCAST_FLAG = 0x8000;

function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(':');
}

function nulTerminated(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('latin1');
}

interface OptionPart {
  offset: number;
  data: Buffer;
}

/** Splits one option area into parts by code; END (or the area's end) closes it. */
function scanOptions(packet: Buffer, start: number, end: number, area: string, parts: Map<number, OptionPart[]>): void {
  let i = start;
  while (i < end) {
    const code = packet[i] as number;
    if (code === OPTION.END) return;
    if (code === OPTION.PAD) {
      i += 1;
      continue;
    }
    if (i + 1 >= end) {
      throw new DhcpPacketError('option-overrun', i, `${optionLabel(code)} in the ${area} has no length byte`);
    }
    const length = packet[i + 1] as number;
    if (i + 2 + length > end) {
      throw new DhcpPacketError('option-overrun', i, `${optionLabel(code)} in the ${area} says ${length} bytes but only ${end - i - 2} remain`);
    }
    const list = parts.get(code) ?? [];
    list.push({ offset: i, data: packet.subarray(i + 2, i + 2 + length) });
    parts.set(code, list);
    i += 2 + length;
  }
}

/** Parses one UDP payload. Throws `DhcpPacketError` (with the byte offset) for anything unusable. */
export function parseDhcpMessage(bytes: Uint8Array): DhcpMessage {
  const packet = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (packet.length > DHCP_MAX_MESSAGE_BYTES) {
    throw new DhcpPacketError('oversized', DHCP_MAX_MESSAGE_BYTES, `packet is ${packet.length} bytes, more than the ${DHCP_MAX_MESSAGE_BYTES} a DHCP message may have`);
  }
  if (packet.length < DHCP_HEADER_BYTES) {
    throw new DhcpPacketError('truncated', packet.length, `packet is ${packet.length} bytes, shorter than the ${DHCP_HEADER_BYTES}-byte header and magic cookie`);
  }
  const op = packet[0] as number;
  if (op !== BOOTREQUEST && op !== BOOTREPLY) throw new DhcpPacketError('bad-op', 0, `op is ${op}, neither BOOTREQUEST (1) nor BOOTREPLY (2)`);
  if (packet[1] !== 1) throw new DhcpPacketError('not-ethernet', 1, `htype is ${packet[1]}, not Ethernet (1)`);
  if (packet[2] !== 6) throw new DhcpPacketError('not-ethernet', 2, `hlen is ${packet[2]}, not an Ethernet address length (6)`);
  const cookie = packet.readUInt32BE(236);
  if (cookie !== MAGIC_COOKIE) {
    throw new DhcpPacketError('bad-cookie', 236, `magic cookie is 0x${cookie.toString(16).padStart(8, '0')}, not 0x63825363: a BOOTP-only or non-DHCP packet`);
  }

  const parts = new Map<number, OptionPart[]>();
  scanOptions(packet, DHCP_HEADER_BYTES, packet.length, 'options field', parts);
  const overloadParts = parts.get(OPTION.OVERLOAD);
  const options: DhcpOptions = {};
  if (overloadParts) {
    decodeOption(OPTION.OVERLOAD, Buffer.concat(overloadParts.map((p) => p.data)), (overloadParts[0] as OptionPart).offset, options);
    // RFC 2131 §4.1: the file field is read before sname. Option 52 itself belongs in the options field only.
    parts.delete(OPTION.OVERLOAD);
    if ((options.overload as number) & 1) scanOptions(packet, FILE_OFFSET, FILE_OFFSET + FILE_BYTES, 'file field', parts);
    if ((options.overload as number) & 2) scanOptions(packet, SNAME_OFFSET, SNAME_OFFSET + SNAME_BYTES, 'sname field', parts);
    const again = parts.get(OPTION.OVERLOAD);
    if (again) throw new DhcpPacketError('option-value', (again[0] as OptionPart).offset, `${optionLabel(OPTION.OVERLOAD)} may only appear in the options field`);
  }
  for (const [code, list] of parts) {
    const data = list.length === 1 ? (list[0] as OptionPart).data : Buffer.concat(list.map((p) => p.data));
    decodeOption(code, data, (list[0] as OptionPart).offset, options);
  }
  if (options.vendorSpecific && options.vendorClass?.startsWith('PXEClient')) {
    const first = (parts.get(OPTION.VENDOR_SPECIFIC) as OptionPart[])[0] as OptionPart;
    options.pxe = decodeSubOptions(options.vendorSpecific, first.offset + 2, OPTION.VENDOR_SPECIFIC);
  }

  const overload = options.overload ?? 0;
  return {
    op,
    hops: packet[3] as number,
    xid: packet.readUInt32BE(4),
    secs: packet.readUInt16BE(8),
    flags: packet.readUInt16BE(10),
    ciaddr: readIpv4(packet, 12),
    yiaddr: readIpv4(packet, 16),
    siaddr: readIpv4(packet, 20),
    giaddr: readIpv4(packet, 24),
    chaddr: formatMac(packet.subarray(28, 34)),
    sname: overload & 2 ? '' : nulTerminated(packet.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_BYTES)),
    file: overload & 1 ? '' : nulTerminated(packet.subarray(FILE_OFFSET, FILE_OFFSET + FILE_BYTES)),
    options,
  };
}

function writeAddress(packet: Buffer, offset: number, field: string, address: string): void {
  const value = ipv4ToNumber(address);
  if (value === null) throw new DhcpEncodeError(`${field} "${address}" is not an IPv4 address`);
  packet.writeUInt32BE(value, offset);
}

function writeField(packet: Buffer, offset: number, size: number, field: string, value: string): void {
  const bytes = Buffer.from(value, 'latin1');
  // One byte stays zero so the field is NUL-terminated, as BOOTP readers expect.
  if (bytes.length >= size) throw new DhcpEncodeError(`${field} is ${bytes.length} bytes; it holds at most ${size - 1}`);
  bytes.copy(packet, offset);
}

/**
 * Encodes a message. Values longer than 255 bytes are split into several instances of the
 * option (RFC 3396). Throws `DhcpEncodeError` when the result would exceed `maxBytes`.
 */
export function encodeDhcpMessage(message: DhcpMessage, maxBytes: number = DHCP_MIN_MAX_MESSAGE_BYTES): Buffer {
  const optionBytes: Buffer[] = [];
  for (const [code, value] of optionValues(message.options)) {
    for (let i = 0; i === 0 || i < value.length; i += 255) {
      const chunk = value.subarray(i, i + 255);
      optionBytes.push(Buffer.from([code, chunk.length]), chunk);
    }
  }
  optionBytes.push(Buffer.from([OPTION.END]));
  const options = Buffer.concat(optionBytes);
  const length = Math.max(BOOTP_MIN_MESSAGE_BYTES, DHCP_HEADER_BYTES + options.length);
  if (length > maxBytes) {
    throw new DhcpEncodeError(`the message is ${length} bytes, more than the ${maxBytes} the client accepts; shorten the boot file name`);
  }

  const packet = Buffer.alloc(length);
  packet[0] = message.op;
  packet[1] = 1;
  packet[2] = 6;
  packet[3] = message.hops;
  packet.writeUInt32BE(message.xid >>> 0, 4);
  packet.writeUInt16BE(message.secs & 0xffff, 8);
  packet.writeUInt16BE(message.flags & 0xffff, 10);
  writeAddress(packet, 12, 'ciaddr', message.ciaddr);
  writeAddress(packet, 16, 'yiaddr', message.yiaddr);
  writeAddress(packet, 20, 'siaddr', message.siaddr);
  writeAddress(packet, 24, 'giaddr', message.giaddr);
  const mac = message.chaddr.split(':').map((part) => Number.parseInt(part, 16));
  if (mac.length !== 6 || mac.some((byte) => !(byte >= 0 && byte <= 255))) {
    throw new DhcpEncodeError(`chaddr "${message.chaddr}" is not an Ethernet address like 52:54:00:12:34:56`);
  }
  Buffer.from(mac).copy(packet, 28);
  writeField(packet, SNAME_OFFSET, SNAME_BYTES, 'sname', message.sname);
  writeField(packet, FILE_OFFSET, FILE_BYTES, 'file', message.file);
  packet.writeUInt32BE(MAGIC_COOKIE, 236);
  options.copy(packet, DHCP_HEADER_BYTES);
  return packet;
}

/** A message with every header field at its empty value, to build requests and replies from. */
export function emptyMessage(op: number, chaddr: string, options: DhcpOptions = {}): DhcpMessage {
  return {
    op,
    hops: 0,
    xid: 0,
    secs: 0,
    flags: 0,
    ciaddr: ZERO_ADDRESS,
    yiaddr: ZERO_ADDRESS,
    siaddr: ZERO_ADDRESS,
    giaddr: ZERO_ADDRESS,
    chaddr,
    sname: '',
    file: '',
    options,
  };
}
