/**
 * The decoder and encoder of each DHCPv4 option: strict lengths on the way in (a wrong
 * length is a DhcpPacketError naming the option and its offset), typed fields on the way out.
 */
import { DhcpEncodeError, DhcpPacketError } from './errors.ts';
import { ipv4ToNumber, readIpv4 } from './ipv4.ts';
import { OPTION, optionLabel, type DhcpOptions } from './options.ts';

type Decoder = (data: Buffer, offset: number, into: DhcpOptions) => void;

function lengthError(code: number, offset: number, expected: string, actual: number): DhcpPacketError {
  return new DhcpPacketError('option-length', offset, `${optionLabel(code)} must be ${expected}, got ${actual} bytes`);
}

function exactly(code: number, size: number, decode: (data: Buffer) => void): Decoder {
  return (data, offset) => {
    if (data.length !== size) throw lengthError(code, offset, `${size} byte${size === 1 ? '' : 's'} long`, data.length);
    decode(data);
  };
}

function atLeast(code: number, size: number, decode: (data: Buffer) => void): Decoder {
  return (data, offset) => {
    if (data.length < size) throw lengthError(code, offset, `at least ${size} byte${size === 1 ? '' : 's'} long`, data.length);
    decode(data);
  };
}

function addressList(code: number, assign: (into: DhcpOptions, list: string[]) => void): Decoder {
  return (data, offset, into) => {
    if (data.length === 0 || data.length % 4 !== 0) throw lengthError(code, offset, 'a non-empty multiple of 4 bytes', data.length);
    const list: string[] = [];
    for (let i = 0; i < data.length; i += 4) list.push(readIpv4(data, i));
    assign(into, list);
  };
}

const text = (data: Buffer): string => data.toString('latin1');

/**
 * Encapsulated sub-options (option 43 for PXE, option 175 for iPXE): code, length, value,
 * with pad (0) skipped and end (255) stopping the list. `offset` is where `data` starts in the packet.
 */
export function decodeSubOptions(data: Buffer, offset: number, parentCode: number): Map<number, Buffer> {
  const result = new Map<number, Buffer>();
  let i = 0;
  while (i < data.length) {
    const code = data[i] as number;
    if (code === 255) break;
    if (code === 0) {
      i += 1;
      continue;
    }
    if (i + 1 >= data.length) {
      throw new DhcpPacketError('option-overrun', offset + i, `sub-option ${code} of ${optionLabel(parentCode)} has no length byte`);
    }
    const length = data[i + 1] as number;
    if (i + 2 + length > data.length) {
      throw new DhcpPacketError('option-overrun', offset + i, `sub-option ${code} of ${optionLabel(parentCode)} says ${length} bytes but only ${data.length - i - 2} remain`);
    }
    const value = Buffer.from(data.subarray(i + 2, i + 2 + length));
    const previous = result.get(code);
    result.set(code, previous ? Buffer.concat([previous, value]) : value);
    i += 2 + length;
  }
  return result;
}

/**
 * RFC 3004 user classes are length-prefixed; iPXE sends the bare string "iPXE" instead.
 * A value that does not split exactly into non-empty length-prefixed parts is one plain string.
 */
function decodeUserClass(data: Buffer): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < data.length) {
    const length = data[i] as number;
    if (length === 0 || i + 1 + length > data.length) return [text(data)];
    parts.push(text(data.subarray(i + 1, i + 1 + length)));
    i += 1 + length;
  }
  return parts;
}

const DECODERS: Record<number, Decoder> = {
  [OPTION.SUBNET_MASK]: (d, o, into) => exactly(OPTION.SUBNET_MASK, 4, (v) => (into.subnetMask = readIpv4(v, 0)))(d, o, into),
  [OPTION.ROUTER]: addressList(OPTION.ROUTER, (into, list) => (into.routers = list)),
  [OPTION.DNS_SERVERS]: addressList(OPTION.DNS_SERVERS, (into, list) => (into.dnsServers = list)),
  [OPTION.HOSTNAME]: (d, o, into) => atLeast(OPTION.HOSTNAME, 1, (v) => (into.hostname = text(v)))(d, o, into),
  [OPTION.VENDOR_SPECIFIC]: (d, _o, into) => (into.vendorSpecific = Buffer.from(d)),
  [OPTION.REQUESTED_ADDRESS]: (d, o, into) => exactly(OPTION.REQUESTED_ADDRESS, 4, (v) => (into.requestedAddress = readIpv4(v, 0)))(d, o, into),
  [OPTION.LEASE_TIME]: (d, o, into) => exactly(OPTION.LEASE_TIME, 4, (v) => (into.leaseSeconds = v.readUInt32BE(0)))(d, o, into),
  [OPTION.OVERLOAD]: (d, o, into) =>
    exactly(OPTION.OVERLOAD, 1, (v) => {
      const value = v[0] as number;
      if (value < 1 || value > 3) throw new DhcpPacketError('option-value', o, `${optionLabel(OPTION.OVERLOAD)} must be 1, 2 or 3, got ${value}`);
      into.overload = value;
    })(d, o, into),
  [OPTION.MESSAGE_TYPE]: (d, o, into) => exactly(OPTION.MESSAGE_TYPE, 1, (v) => (into.messageType = v[0] as number))(d, o, into),
  [OPTION.SERVER_ID]: (d, o, into) => exactly(OPTION.SERVER_ID, 4, (v) => (into.serverId = readIpv4(v, 0)))(d, o, into),
  [OPTION.PARAMETER_LIST]: (d, o, into) => atLeast(OPTION.PARAMETER_LIST, 1, (v) => (into.parameterList = [...v]))(d, o, into),
  [OPTION.MESSAGE]: (d, o, into) => atLeast(OPTION.MESSAGE, 1, (v) => (into.message = text(v)))(d, o, into),
  [OPTION.MAX_MESSAGE_SIZE]: (d, o, into) => exactly(OPTION.MAX_MESSAGE_SIZE, 2, (v) => (into.maxMessageSize = v.readUInt16BE(0)))(d, o, into),
  [OPTION.RENEWAL_TIME]: (d, o, into) => exactly(OPTION.RENEWAL_TIME, 4, (v) => (into.renewalSeconds = v.readUInt32BE(0)))(d, o, into),
  [OPTION.REBINDING_TIME]: (d, o, into) => exactly(OPTION.REBINDING_TIME, 4, (v) => (into.rebindingSeconds = v.readUInt32BE(0)))(d, o, into),
  [OPTION.VENDOR_CLASS]: (d, o, into) => atLeast(OPTION.VENDOR_CLASS, 1, (v) => (into.vendorClass = text(v)))(d, o, into),
  [OPTION.CLIENT_ID]: (d, o, into) => atLeast(OPTION.CLIENT_ID, 2, (v) => (into.clientId = Buffer.from(v)))(d, o, into),
  [OPTION.TFTP_SERVER_NAME]: (d, o, into) => atLeast(OPTION.TFTP_SERVER_NAME, 1, (v) => (into.tftpServerName = text(v)))(d, o, into),
  [OPTION.BOOTFILE_NAME]: (d, o, into) => atLeast(OPTION.BOOTFILE_NAME, 1, (v) => (into.bootFileName = text(v)))(d, o, into),
  [OPTION.USER_CLASS]: (d, o, into) => atLeast(OPTION.USER_CLASS, 1, (v) => (into.userClass = decodeUserClass(v)))(d, o, into),
  [OPTION.RELAY_AGENT_INFO]: (d, o, into) => atLeast(OPTION.RELAY_AGENT_INFO, 2, (v) => (into.relayAgentInfo = Buffer.from(v)))(d, o, into),
  [OPTION.CLIENT_ARCH]: (d, o, into) => {
    if (d.length === 0 || d.length % 2 !== 0) throw lengthError(OPTION.CLIENT_ARCH, o, 'a non-empty multiple of 2 bytes', d.length);
    const list: number[] = [];
    for (let i = 0; i < d.length; i += 2) list.push(d.readUInt16BE(i));
    into.clientArch = list;
  },
  [OPTION.CLIENT_NDI]: (d, o, into) =>
    exactly(OPTION.CLIENT_NDI, 3, (v) => (into.clientNdi = { type: v[0] as number, major: v[1] as number, minor: v[2] as number }))(d, o, into),
  [OPTION.CLIENT_UUID]: (d, o, into) =>
    exactly(OPTION.CLIENT_UUID, 17, (v) => {
      if (v[0] !== 0) throw new DhcpPacketError('option-value', o, `${optionLabel(OPTION.CLIENT_UUID)} must start with type 0, got ${v[0]}`);
      into.clientUuid = Buffer.from(v.subarray(1));
    })(d, o, into),
  // The data starts two bytes after the option's code byte.
  [OPTION.IPXE_ENCAPSULATED]: (d, o, into) => (into.ipxe = decodeSubOptions(d, o + 2, OPTION.IPXE_ENCAPSULATED)),
};

/** Decodes one option's (already concatenated) value into `into`; `offset` is where its code byte is. */
export function decodeOption(code: number, data: Buffer, offset: number, into: DhcpOptions): void {
  const decoder = DECODERS[code];
  if (decoder) {
    decoder(data, offset, into);
    return;
  }
  (into.other ??= new Map()).set(code, Buffer.from(data));
}

function ipv4Bytes(code: number, address: string): Buffer {
  const value = ipv4ToNumber(address);
  if (value === null) throw new DhcpEncodeError(`${optionLabel(code)}: "${address}" is not an IPv4 address`);
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0, 0);
  return bytes;
}

function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value & 0xffff, 0);
  return bytes;
}

/** Encapsulated sub-options; `terminate` appends the end marker (PXE option 43 wants one, PXE 2.1 table 2-1). */
export function encodeSubOptions(options: ReadonlyMap<number, Buffer>, terminate: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of options) {
    for (let i = 0; i === 0 || i < value.length; i += 255) {
      const chunk = value.subarray(i, i + 255);
      parts.push(Buffer.from([code, chunk.length]), chunk);
    }
  }
  if (terminate) parts.push(Buffer.from([OPTION.END]));
  return Buffer.concat(parts);
}

function encodeUserClass(classes: string[]): Buffer {
  // A single "iPXE" goes out as iPXE sends it, so a decoded iPXE packet encodes back byte for byte.
  if (classes.length === 1 && classes[0] === 'iPXE') return Buffer.from('iPXE', 'latin1');
  return Buffer.concat(
    classes.map((entry) => {
      const value = Buffer.from(entry, 'latin1');
      if (value.length === 0 || value.length > 255) throw new DhcpEncodeError(`${optionLabel(OPTION.USER_CLASS)}: a class must be 1 to 255 bytes`);
      return Buffer.concat([Buffer.from([value.length]), value]);
    }),
  );
}

/**
 * The options as [code, value] pairs in the order they go on the wire: message type first
 * (some PXE ROMs only look there), relay agent information last (RFC 3046 §2.1).
 */
export function optionValues(options: DhcpOptions): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  const put = (code: number, value: Buffer | undefined): void => {
    if (value !== undefined) out.push([code, value]);
  };
  const latin1 = (value: string | undefined): Buffer | undefined => (value === undefined ? undefined : Buffer.from(value, 'latin1'));
  const list = (code: number, addresses: string[] | undefined): Buffer | undefined =>
    addresses === undefined ? undefined : Buffer.concat(addresses.map((address) => ipv4Bytes(code, address)));

  put(OPTION.MESSAGE_TYPE, options.messageType === undefined ? undefined : Buffer.from([options.messageType]));
  put(OPTION.SERVER_ID, options.serverId === undefined ? undefined : ipv4Bytes(OPTION.SERVER_ID, options.serverId));
  put(OPTION.REQUESTED_ADDRESS, options.requestedAddress === undefined ? undefined : ipv4Bytes(OPTION.REQUESTED_ADDRESS, options.requestedAddress));
  put(OPTION.LEASE_TIME, options.leaseSeconds === undefined ? undefined : uint32(options.leaseSeconds));
  put(OPTION.RENEWAL_TIME, options.renewalSeconds === undefined ? undefined : uint32(options.renewalSeconds));
  put(OPTION.REBINDING_TIME, options.rebindingSeconds === undefined ? undefined : uint32(options.rebindingSeconds));
  put(OPTION.SUBNET_MASK, options.subnetMask === undefined ? undefined : ipv4Bytes(OPTION.SUBNET_MASK, options.subnetMask));
  put(OPTION.ROUTER, list(OPTION.ROUTER, options.routers));
  put(OPTION.DNS_SERVERS, list(OPTION.DNS_SERVERS, options.dnsServers));
  put(OPTION.HOSTNAME, latin1(options.hostname));
  put(OPTION.MESSAGE, latin1(options.message));
  put(OPTION.PARAMETER_LIST, options.parameterList === undefined ? undefined : Buffer.from(options.parameterList));
  put(OPTION.MAX_MESSAGE_SIZE, options.maxMessageSize === undefined ? undefined : uint16(options.maxMessageSize));
  put(OPTION.VENDOR_CLASS, latin1(options.vendorClass));
  put(OPTION.CLIENT_ID, options.clientId);
  put(OPTION.TFTP_SERVER_NAME, latin1(options.tftpServerName));
  put(OPTION.BOOTFILE_NAME, latin1(options.bootFileName));
  put(OPTION.USER_CLASS, options.userClass === undefined ? undefined : encodeUserClass(options.userClass));
  put(OPTION.CLIENT_ARCH, options.clientArch === undefined ? undefined : Buffer.concat(options.clientArch.map(uint16)));
  put(OPTION.CLIENT_NDI, options.clientNdi === undefined ? undefined : Buffer.from([options.clientNdi.type, options.clientNdi.major, options.clientNdi.minor]));
  if (options.clientUuid !== undefined) {
    if (options.clientUuid.length !== 16) throw new DhcpEncodeError(`${optionLabel(OPTION.CLIENT_UUID)} must hold 16 bytes, got ${options.clientUuid.length}`);
    put(OPTION.CLIENT_UUID, Buffer.concat([Buffer.from([0]), options.clientUuid]));
  }
  // The raw bytes win when both are set, so a parsed message encodes back as it came.
  put(OPTION.VENDOR_SPECIFIC, options.vendorSpecific ?? (options.pxe === undefined ? undefined : encodeSubOptions(options.pxe, true)));
  put(OPTION.IPXE_ENCAPSULATED, options.ipxe === undefined ? undefined : encodeSubOptions(options.ipxe, false));
  for (const [code, value] of options.other ?? []) {
    if (code <= OPTION.PAD || code >= OPTION.END || code === OPTION.OVERLOAD || DECODERS[code] !== undefined) {
      throw new DhcpEncodeError(`option ${code} cannot be sent as a raw option: use its typed field, or it is pad/end/overload`);
    }
    put(code, value);
  }
  put(OPTION.RELAY_AGENT_INFO, options.relayAgentInfo);
  return out;
}
