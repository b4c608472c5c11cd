/** IPv4 addresses as dotted strings at the edges and unsigned 32-bit numbers for arithmetic. */
import { isIPv4 } from 'node:net';

export const ZERO_ADDRESS = '0.0.0.0';

/** The address as an unsigned 32-bit number, or null when it is not a dotted IPv4 address. */
export function ipv4ToNumber(address: string): number | null {
  if (!isIPv4(address)) return null;
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function numberToIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

export function readIpv4(buffer: Uint8Array, offset: number): string {
  return `${buffer[offset]}.${buffer[offset + 1]}.${buffer[offset + 2]}.${buffer[offset + 3]}`;
}

/** True for a contiguous netmask such as 255.255.255.0 (and not 0.0.0.0). */
export function isNetmask(value: number): boolean {
  const inverted = ~value >>> 0;
  return value !== 0 && (inverted & (inverted + 1)) === 0;
}

export function sameSubnet(a: number, b: number, netmask: number): boolean {
  return ((a & netmask) >>> 0) === ((b & netmask) >>> 0);
}
