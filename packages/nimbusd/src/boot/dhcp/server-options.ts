/** The DHCP server's options, their defaults, and the checks made before any socket opens. */
import type { Logger } from '../../logging/index.ts';
import type { BootPolicy } from '../policy.ts';
import { DhcpConfigError } from './errors.ts';
import { ipv4ToNumber, ZERO_ADDRESS } from './ipv4.ts';
import type { DhcpPoolOptions } from './leases.ts';
import type { DhcpMessageTypeName } from './options.ts';

export type DhcpMode = 'proxy' | 'full';

export const DEFAULT_SERVER_PORT = 67;
export const DEFAULT_CLIENT_PORT = 68;
/** PXE boot server port (PXE 2.1 §2.2.6), where UEFI firmware and iPXE ask a proxy for the boot file. */
export const DEFAULT_PROXY_PORT = 4011;
export const DEFAULT_BROADCAST_ADDRESS = '255.255.255.255';
/** A policy answer slower than this is dropped; the firmware retransmits (after 4 s, then 8 s...) and asks again. */
export const DEFAULT_POLICY_TIMEOUT_MS = 3000;
/** Requests being answered at once; beyond this, new packets are dropped rather than queued without bound. */
export const DEFAULT_MAX_IN_FLIGHT = 512;

/** Which socket a packet came in on: the DHCP port (67) or the PXE boot server port (4011). */
export type DhcpPort = 'dhcp' | 'pxe';

/** One received packet and what became of it, for counters (Prometheus) and tests. */
export interface DhcpEvent {
  port: DhcpPort;
  /** The request's option 53; `MALFORMED` when it did not parse. */
  messageType: DhcpMessageTypeName | 'BOOTP' | 'UNKNOWN' | 'MALFORMED';
  outcome: 'answered' | 'ignored' | 'malformed';
  /** What was sent, when answered. */
  reply?: 'OFFER' | 'ACK' | 'NAK';
  /** Why it was ignored (e.g. `not-pxe`, `policy-null`, `pool-exhausted`), or the parse problem when malformed. */
  reason?: string;
  /** The client's MAC, when the packet parsed. */
  mac?: string;
}

export interface DhcpServerOptions {
  /** `proxy` (the default) answers PXE clients with boot information only, next to the site's DHCP server; `full` also hands out addresses from `pool`. */
  mode?: DhcpMode;
  /** This host's IPv4 address on the boot network: the server identifier, next-server and TFTP server. */
  serverAddress: string;
  /** Where to listen; defaults to 0.0.0.0, the only address that receives clients' broadcasts (a unicast address suits relayed traffic and tests). */
  listenAddress?: string;
  /** Defaults: server 67 (DEFAULT_SERVER_PORT), client 68 (DEFAULT_CLIENT_PORT), proxy 4011 (DEFAULT_PROXY_PORT). 0 picks a free port (tests). */
  ports?: { server?: number; client?: number; proxy?: number };
  /** Where replies to clients without an address go; defaults to 255.255.255.255 (DEFAULT_BROADCAST_ADDRESS). */
  broadcastAddress?: string;
  /** Required in full mode, refused in proxy mode. */
  pool?: DhcpPoolOptions;
  /** Full mode only: leases are kept in this JSON file and loaded on start. Without it leases live in memory. */
  leaseFile?: string;
  policy: BootPolicy;
  /** Defaults to a silent logger. */
  logger?: Logger;
  /** Called once per received packet. Must not throw (what it throws is logged and dropped). */
  onEvent?(event: DhcpEvent): void;
  /** Defaults to DEFAULT_POLICY_TIMEOUT_MS. */
  policyTimeoutMs?: number;
  /** Defaults to DEFAULT_MAX_IN_FLIGHT. */
  maxInFlight?: number;
  /** Epoch milliseconds; defaults to Date.now (tests move time forward). */
  clock?: () => number;
}

export interface ResolvedDhcpOptions {
  mode: DhcpMode;
  serverAddress: string;
  listenAddress: string;
  ports: { server: number; client: number; proxy: number };
  broadcastAddress: string;
  pool: DhcpPoolOptions | undefined;
  leaseFile: string | undefined;
  policyTimeoutMs: number;
  maxInFlight: number;
  clock: () => number;
}

function address(name: string, value: string): string {
  if (ipv4ToNumber(value) === null) throw new DhcpConfigError(`${name} "${value}" is not an IPv4 address`);
  return value;
}

function port(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 0 || result > 65535) throw new DhcpConfigError(`ports.${name} ${String(value)} is not a UDP port (0 to 65535)`);
  return result;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 1) throw new DhcpConfigError(`${name} ${String(value)} must be a positive whole number`);
  return result;
}

export function resolveDhcpOptions(options: DhcpServerOptions): ResolvedDhcpOptions {
  const mode = options.mode ?? 'proxy';
  if (mode !== 'proxy' && mode !== 'full') throw new DhcpConfigError(`mode "${String(mode)}" is neither "proxy" nor "full"`);
  const serverAddress = address('serverAddress', options.serverAddress);
  if (serverAddress === ZERO_ADDRESS) throw new DhcpConfigError('serverAddress must be this host\'s address on the boot network, not 0.0.0.0');
  if (mode === 'full' && !options.pool) throw new DhcpConfigError('full mode needs a pool: { start, end, netmask }');
  if (mode === 'proxy' && options.pool) throw new DhcpConfigError('a pool is only used in full mode; proxy mode leaves addresses to the site\'s DHCP server');
  if (mode === 'proxy' && options.leaseFile) throw new DhcpConfigError('leaseFile is only used in full mode');
  return {
    mode,
    serverAddress,
    listenAddress: address('listenAddress', options.listenAddress ?? ZERO_ADDRESS),
    ports: {
      server: port('server', options.ports?.server, DEFAULT_SERVER_PORT),
      client: port('client', options.ports?.client, DEFAULT_CLIENT_PORT),
      proxy: port('proxy', options.ports?.proxy, DEFAULT_PROXY_PORT),
    },
    broadcastAddress: address('broadcastAddress', options.broadcastAddress ?? DEFAULT_BROADCAST_ADDRESS),
    pool: options.pool,
    leaseFile: options.leaseFile,
    policyTimeoutMs: positive('policyTimeoutMs', options.policyTimeoutMs, DEFAULT_POLICY_TIMEOUT_MS),
    maxInFlight: positive('maxInFlight', options.maxInFlight, DEFAULT_MAX_IN_FLIGHT),
    clock: options.clock ?? Date.now,
  };
}
