/**
 * DHCPv4 options (RFC 2132, 3004, 3046, 4578, and iPXE's option 175): their codes and the
 * typed form the server works with. Their decoders and encoders are in option-codecs.ts,
 * the framing (pad, end, lengths, overload, RFC 3396 concatenation) in packet.ts.
 */

export const OPTION = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS_SERVERS: 6,
  HOSTNAME: 12,
  VENDOR_SPECIFIC: 43,
  REQUESTED_ADDRESS: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  TFTP_SERVER_NAME: 66,
  BOOTFILE_NAME: 67,
  USER_CLASS: 77,
  RELAY_AGENT_INFO: 82,
  CLIENT_ARCH: 93,
  CLIENT_NDI: 94,
  CLIENT_UUID: 97,
  IPXE_ENCAPSULATED: 175,
  END: 255,
} as const;

/** Values of option 53 (RFC 2132 §9.6). */
export const MESSAGE_TYPE = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

export type DhcpMessageTypeName = keyof typeof MESSAGE_TYPE;

export function messageTypeName(type: number | undefined): DhcpMessageTypeName | 'BOOTP' | 'UNKNOWN' {
  if (type === undefined) return 'BOOTP';
  const entry = Object.entries(MESSAGE_TYPE).find(([, value]) => value === type);
  return entry ? (entry[0] as DhcpMessageTypeName) : 'UNKNOWN';
}

/** PXE sub-options carried in option 43 when option 60 starts with "PXEClient" (PXE 2.1 §2.4). */
export const PXE_SUBOPTION = {
  DISCOVERY_CONTROL: 6,
  BOOT_SERVERS: 8,
  BOOT_MENU: 9,
  MENU_PROMPT: 10,
  BOOT_ITEM: 71,
} as const;

/** Discovery control bit 3: boot the file named in this packet, no menu, no boot server discovery. */
export const PXE_DISCOVERY_USE_BOOT_FILE = 0x08;

export interface ClientNdi {
  type: number;
  major: number;
  minor: number;
}

/** The options of one message, decoded. Strings are Latin-1, byte for byte as sent. */
export interface DhcpOptions {
  /** 53; absent in a plain BOOTP message. */
  messageType?: number;
  /** 1 */
  subnetMask?: string;
  /** 3 */
  routers?: string[];
  /** 6 */
  dnsServers?: string[];
  /** 12 */
  hostname?: string;
  /** 43, raw: its layout depends on the vendor class. */
  vendorSpecific?: Buffer;
  /** 43 decoded as PXE sub-options; set by the parser only for "PXEClient" vendor classes. */
  pxe?: Map<number, Buffer>;
  /** 50 */
  requestedAddress?: string;
  /** 51 */
  leaseSeconds?: number;
  /** 52: 1 = `file` holds options, 2 = `sname` does, 3 = both. Decoded only; the encoder never overloads. */
  overload?: number;
  /** 54 */
  serverId?: string;
  /** 55 */
  parameterList?: number[];
  /** 56 */
  message?: string;
  /** 57 */
  maxMessageSize?: number;
  /** 58 */
  renewalSeconds?: number;
  /** 59 */
  rebindingSeconds?: number;
  /** 60, e.g. "PXEClient:Arch:00007:UNDI:003016". */
  vendorClass?: string;
  /** 61 */
  clientId?: Buffer;
  /** 66 */
  tftpServerName?: string;
  /** 67 */
  bootFileName?: string;
  /** 77: the RFC 3004 class list, or one entry for iPXE's plain "iPXE" string. */
  userClass?: string[];
  /** 82 (RFC 3046), echoed back to the relay agent unchanged. */
  relayAgentInfo?: Buffer;
  /** 93: one or more RFC 4578 architecture types. */
  clientArch?: number[];
  /** 94 */
  clientNdi?: ClientNdi;
  /** 97: the 16 UUID bytes (the leading type byte 0 is implied). */
  clientUuid?: Buffer;
  /** 175: iPXE's encapsulated options by sub-option code. */
  ipxe?: Map<number, Buffer>;
  /** Every other option, as sent. */
  other?: Map<number, Buffer>;
}

const NAMES: Record<number, string> = {
  1: 'subnet mask', 3: 'router', 6: 'DNS servers', 12: 'hostname', 43: 'vendor specific',
  50: 'requested address', 51: 'lease time', 52: 'option overload', 53: 'message type',
  54: 'server identifier', 55: 'parameter request list', 56: 'message', 57: 'maximum message size',
  58: 'renewal time', 59: 'rebinding time', 60: 'vendor class', 61: 'client identifier',
  66: 'TFTP server name', 67: 'bootfile name', 77: 'user class', 82: 'relay agent information',
  93: 'client architecture', 94: 'client network interface', 97: 'client UUID', 175: 'iPXE options',
};

export function optionLabel(code: number): string {
  return NAMES[code] ? `option ${code} (${NAMES[code]})` : `option ${code}`;
}
