/**
 * What the boot HTTP server tolerates from a client. The defaults suit a provisioning
 * network: firmware and ramdisks that send small requests and download large images,
 * sometimes slowly.
 */

/** Request line plus headers; a larger request gets 431. iPXE sends well under 1 KiB. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** Time to send the request line and headers (slowloris guard). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
/** Time to send the whole request, body included; the response (an image download) is not counted. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** An idle keep-alive connection is closed after this. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * A connection with a request in progress and no traffic for this long is closed. A
 * download the client is still reading is traffic: node counts the kernel taking bytes
 * from a write still pending, not only whole writes finishing, so one chunk may take far
 * longer than this. The kernel takes bytes in steps of up to its socket buffers (a few
 * MiB on Linux), so only a client slower than roughly 4 MiB per idle period (about
 * 35 KiB/s at this default) is cut; nginx's send_timeout has the same grain.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
/** Connections beyond this are closed as they are accepted. */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** The largest request body a handler may read (deploy callbacks are a few KiB of JSON). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Time `readBody` waits for the whole body before answering 408. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Time `close()` lets in-flight responses finish before it cuts them. */
export const DEFAULT_CLOSE_GRACE_MS = 10_000;

export interface BootHttpLimits {
  /** Defaults to DEFAULT_MAX_HEADER_BYTES. */
  maxHeaderBytes?: number;
  /** Defaults to DEFAULT_HEADERS_TIMEOUT_MS (never more than requestTimeoutMs). */
  headersTimeoutMs?: number;
  /** Defaults to DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Defaults to DEFAULT_KEEP_ALIVE_TIMEOUT_MS. */
  keepAliveTimeoutMs?: number;
  /** Defaults to DEFAULT_IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number;
  /** Defaults to DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number;
  /** Cap on `readBody(maxBytes)`; defaults to DEFAULT_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /** Defaults to DEFAULT_BODY_TIMEOUT_MS. */
  bodyTimeoutMs?: number;
  /** Defaults to DEFAULT_CLOSE_GRACE_MS. */
  closeGraceMs?: number;
}

export type ResolvedLimits = Required<BootHttpLimits>;

export function resolveLimits(limits: BootHttpLimits = {}): ResolvedLimits {
  const requestTimeoutMs = limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return {
    maxHeaderBytes: limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    // node:http refuses a headers timeout longer than the request timeout.
    headersTimeoutMs: Math.min(limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs),
    requestTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    idleTimeoutMs: limits.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxConnections: limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxBodyBytes: limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    bodyTimeoutMs: limits.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    closeGraceMs: limits.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
  };
}
