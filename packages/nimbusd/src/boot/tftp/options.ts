/**
 * Option negotiation for a read request: which of the client's options the server takes
 * (RFC 2348 blksize, RFC 2349 timeout and tsize, RFC 7440 windowsize), at what value, and
 * what the OACK says. Options the server does not know, or whose value is out of range, are
 * left out of the OACK, which RFC 2347 says means "not accepted".
 */
import { MAX_BLOCK_SIZE, type TftpOptions } from './packet.ts';

/** RFC 1350's block size, used when the client asks for none. */
export const DEFAULT_BLOCK_SIZE = 512;
/** The largest DATA payload that fits a 1500-byte Ethernet MTU: 1500 − 20 (IPv4) − 8 (UDP) − 4 (TFTP). */
export const DEFAULT_MAX_BLOCK_SIZE = 1468;
export const MIN_BLOCK_SIZE = 8;
/** Blocks in flight before an ACK; RFC 7440 allows 65535, but each unacknowledged block is held in memory. */
export const DEFAULT_MAX_WINDOW_SIZE = 64;
export const MAX_WINDOW_SIZE = 65_535;
export const MIN_TIMEOUT_SECONDS = 1;
export const MAX_TIMEOUT_SECONDS = 255;

export interface NegotiationLimits {
  /** Largest block the path MTU carries, ≤ MAX_BLOCK_SIZE. */
  maxBlockSize: number;
  /** Largest window the server sends, ≤ MAX_WINDOW_SIZE. */
  maxWindowSize: number;
}

export interface NegotiatedOptions {
  blockSize: number;
  windowSize: number;
  /** The client's retransmission timeout (RFC 2349), or null when it asked for none. */
  timeoutSeconds: number | null;
  /** The OACK's content, in the client's order; empty when nothing was accepted, and then no OACK is sent. */
  accepted: Map<string, string>;
}

/**
 * `fileSize` answers tsize; null when it cannot be answered truthfully (a netascii transfer,
 * whose size on the wire is not the file's), and then tsize is not acknowledged.
 */
export function negotiate(requested: TftpOptions, fileSize: number | null, limits: NegotiationLimits): NegotiatedOptions {
  const result: NegotiatedOptions = { blockSize: DEFAULT_BLOCK_SIZE, windowSize: 1, timeoutSeconds: null, accepted: new Map() };
  for (const [name, raw] of requested) {
    // The parser guarantees the numeric options carry digits only.
    const value = Number(raw);
    switch (name) {
      case 'blksize':
        // RFC 2348: the server may answer with a smaller size than asked, never a larger one.
        if (value >= MIN_BLOCK_SIZE) {
          result.blockSize = Math.min(value, limits.maxBlockSize, MAX_BLOCK_SIZE);
          result.accepted.set(name, String(result.blockSize));
        }
        break;
      case 'windowsize':
        if (value >= 1 && value <= MAX_WINDOW_SIZE) {
          result.windowSize = Math.min(value, limits.maxWindowSize);
          result.accepted.set(name, String(result.windowSize));
        }
        break;
      case 'timeout':
        // RFC 2349: the server must use the value as asked or not acknowledge it.
        if (value >= MIN_TIMEOUT_SECONDS && value <= MAX_TIMEOUT_SECONDS) {
          result.timeoutSeconds = value;
          result.accepted.set(name, String(value));
        }
        break;
      case 'tsize':
        if (fileSize !== null) result.accepted.set(name, String(fileSize));
        break;
      default:
        break;
    }
  }
  return result;
}
