/**
 * The TFTP server's options object, its defaults, and the events it reports: everything a
 * caller (the daemon's wiring, its metrics) needs to know without reading the server.
 */
import type { Logger } from '../../logging/index.ts';
import { TftpConfigError, type TftpPacketFault } from './errors.ts';
import { MAX_WINDOW_SIZE, MIN_BLOCK_SIZE } from './options.ts';
import { MAX_BLOCK_SIZE, type TftpMode } from './packet.ts';
import type { RefusalOutcome } from './root-directory.ts';
import type { Peer, TransferOutcome } from './transfer.ts';

/** The well-known TFTP port (RFC 1350). */
export const DEFAULT_TFTP_PORT = 69;
/** Every IPv4 address: PXE clients reach the server on whichever interface faces them. */
export const DEFAULT_TFTP_HOST = '0.0.0.0';
export const DEFAULT_MAX_TRANSFERS = 64;
/** A booting machine fetches one or two files at a time; more from one address is a loop or a flood. */
export const DEFAULT_MAX_TRANSFERS_PER_CLIENT = 8;
/** First retransmission when the client asked for no timeout option (RFC 2349). */
export const DEFAULT_RETRANSMIT_MS = 1_000;
export const DEFAULT_MAX_RETRANSMIT_MS = 8_000;
export const DEFAULT_MAX_RETRIES = 5;
/** Malformed-datagram warnings written per interval; the rest are counted and summed up in the next one. */
export const DEFAULT_MALFORMED_LOG_BURST = 10;
export const DEFAULT_MALFORMED_LOG_INTERVAL_MS = 60_000;

export interface TftpLimits {
  /** Transfers running at once; DEFAULT_MAX_TRANSFERS. Beyond it a request gets ERROR 0 "server busy". */
  maxTransfers?: number;
  /** Transfers running at once for one client address; DEFAULT_MAX_TRANSFERS_PER_CLIENT. */
  maxTransfersPerClient?: number;
  /** Wait for an ACK before the first retransmission, unless the client set `timeout`; DEFAULT_RETRANSMIT_MS. */
  retransmitMs?: number;
  /** The wait doubles on each retransmission up to this; DEFAULT_MAX_RETRANSMIT_MS. */
  maxRetransmitMs?: number;
  /** Retransmissions without an ACK before a transfer is given up; DEFAULT_MAX_RETRIES. */
  maxRetries?: number;
  /** DEFAULT_MALFORMED_LOG_BURST warnings per DEFAULT_MALFORMED_LOG_INTERVAL_MS. */
  malformedLogBurst?: number;
  malformedLogIntervalMs?: number;
}

export type TftpTransferOutcome = TransferOutcome | RefusalOutcome | 'write-refused' | 'unsupported-mode' | 'busy' | 'server-error';

/** One read request, from its arrival to its end (or its refusal). */
export interface TftpTransferEvent {
  type: 'transfer';
  client: Peer;
  /** The name as the client asked for it. */
  file: string;
  mode: TftpMode;
  outcome: TftpTransferOutcome;
  /** Payload bytes the client acknowledged. */
  bytes: number;
  durationMs: number;
  /** Negotiated (512 and 1 without options); 0 for a request refused before negotiation. */
  blockSize: number;
  windowSize: number;
  retransmissions: number;
  detail?: string;
}

/** A datagram that is not a TFTP packet, at the listening port or at a transfer's. */
export interface TftpMalformedEvent {
  type: 'malformed';
  client: Peer;
  fault: TftpPacketFault;
  message: string;
  size: number;
}

export type TftpEvent = TftpTransferEvent | TftpMalformedEvent;

export interface TftpServerOptions {
  /** The folder served; files outside it (symlinks included) are never read. */
  root: string;
  /** Address to bind; DEFAULT_TFTP_HOST. An IPv6 address makes it an IPv6 server. */
  host?: string;
  /** Port to bind, 0 for any free one; DEFAULT_TFTP_PORT. */
  port?: number;
  /** Largest block the path MTU carries (MIN_BLOCK_SIZE–65464); DEFAULT_MAX_BLOCK_SIZE (a 1500-byte MTU). */
  maxBlockSize?: number;
  /** Largest window (1–65535); DEFAULT_MAX_WINDOW_SIZE. Each unacknowledged block is held in memory. */
  maxWindowSize?: number;
  limits?: TftpLimits;
  /** Silent if unset. */
  logger?: Logger;
  /** Called for every transfer's end and every malformed datagram; a throw here is logged, not raised. */
  onEvent?: (event: TftpEvent) => void;
}

/** Every limit, defaults filled in. */
export function resolveLimits(limits: TftpLimits = {}): Required<TftpLimits> {
  return {
    maxTransfers: limits.maxTransfers ?? DEFAULT_MAX_TRANSFERS,
    maxTransfersPerClient: limits.maxTransfersPerClient ?? DEFAULT_MAX_TRANSFERS_PER_CLIENT,
    retransmitMs: limits.retransmitMs ?? DEFAULT_RETRANSMIT_MS,
    maxRetransmitMs: limits.maxRetransmitMs ?? DEFAULT_MAX_RETRANSMIT_MS,
    maxRetries: limits.maxRetries ?? DEFAULT_MAX_RETRIES,
    malformedLogBurst: limits.malformedLogBurst ?? DEFAULT_MALFORMED_LOG_BURST,
    malformedLogIntervalMs: limits.malformedLogIntervalMs ?? DEFAULT_MALFORMED_LOG_INTERVAL_MS,
  };
}

/** Throws TftpConfigError, naming the option, for a value the server cannot run with. */
export function checkOptions(options: TftpServerOptions): void {
  const { maxBlockSize, maxWindowSize } = options;
  if (maxBlockSize !== undefined && !(Number.isInteger(maxBlockSize) && maxBlockSize >= MIN_BLOCK_SIZE && maxBlockSize <= MAX_BLOCK_SIZE)) {
    throw new TftpConfigError(`TFTP maxBlockSize ${maxBlockSize} is not an integer in ${MIN_BLOCK_SIZE}–${MAX_BLOCK_SIZE}; use the path MTU minus 32 (IPv4) or 52 (IPv6)`);
  }
  if (maxWindowSize !== undefined && !(Number.isInteger(maxWindowSize) && maxWindowSize >= 1 && maxWindowSize <= MAX_WINDOW_SIZE)) {
    throw new TftpConfigError(`TFTP maxWindowSize ${maxWindowSize} is not an integer in 1–${MAX_WINDOW_SIZE}`);
  }
  for (const [name, value] of Object.entries(options.limits ?? {})) {
    if (value !== undefined && !(Number.isInteger(value) && value >= (name === 'maxRetries' ? 0 : 1))) {
      throw new TftpConfigError(`TFTP limit ${name} = ${String(value)} is not a positive integer`);
    }
  }
}
