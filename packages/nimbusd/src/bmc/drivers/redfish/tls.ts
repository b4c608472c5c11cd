import { Agent } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** `AB:CD:…` or `abcd…` → `abcd…`; null when it is not 32 bytes of hex. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replaceAll(':', '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/**
 * An https.Agent that trusts exactly one certificate, by SHA-256 fingerprint, for BMCs
 * with self-signed certificates. Node skips `checkServerIdentity` when chain
 * verification already failed (which a self-signed certificate always does), so the
 * check runs on `secureConnect` instead; the socket stays corked until then, so not one
 * byte of a request (credentials included) reaches a server that fails it.
 */
export class PinnedCertificateAgent extends Agent {
  readonly #fingerprint: string;

  constructor(fingerprint: string) {
    super({ keepAlive: true });
    const normalized = normalizeFingerprint(fingerprint);
    if (normalized === null) throw new TypeError('tlsFingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed');
    this.#fingerprint = normalized;
  }

  override createConnection(options: ConnectionOptions, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    const socket: TLSSocket = connect({ ...options, rejectUnauthorized: false });
    socket.cork();
    socket.once('secureConnect', () => {
      const presented = normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
      if (presented !== this.#fingerprint) {
        socket.destroy(Object.assign(new Error('TLS certificate does not match the pinned SHA-256 fingerprint'), { code: 'ERR_TLS_FINGERPRINT_MISMATCH' }));
        return;
      }
      socket.uncork();
    });
    if (callback) socket.once('secureConnect', () => callback(null, socket));
    return socket;
  }
}
