/**
 * `host:port` strings of the config (`0.0.0.0:2222`, `[::1]:9464`), split into the
 * host and port node:net wants.
 */

export interface ListenAddress {
  /** Without brackets, also for IPv6. */
  host: string;
  port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/;

/** The address, or undefined when `text` is not host:port with a port from 1 to 65535. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = HOST_PORT.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

/** Back to `host:port`, bracketing an IPv6 host. */
export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
