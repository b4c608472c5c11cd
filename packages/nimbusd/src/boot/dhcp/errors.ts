import { NimbusError } from '@nimbus/core';

/** Anything the DHCP server can fail with. */
export abstract class DhcpError extends NimbusError {}

/** What was wrong with a received packet. */
export type DhcpPacketProblem =
  | 'truncated'
  | 'oversized'
  | 'bad-cookie'
  | 'bad-op'
  | 'not-ethernet'
  | 'option-overrun'
  | 'option-length'
  | 'option-value';

/**
 * A received byte string is not a DHCPv4 message we can use. `offset` is the byte in the
 * UDP payload where the problem is (for an option: where its code byte is), so a capture
 * can be checked by hand.
 */
export class DhcpPacketError extends DhcpError {
  readonly code = 'DHCP_PACKET';
  readonly problem: DhcpPacketProblem;
  readonly offset: number;

  constructor(problem: DhcpPacketProblem, offset: number, message: string) {
    super(`${message} (at byte ${offset})`);
    this.problem = problem;
    this.offset = offset;
  }
}

/** A reply we built does not fit the client's maximum message size, or carries a value no option can hold. */
export class DhcpEncodeError extends DhcpError {
  readonly code = 'DHCP_ENCODE';
}

/** The server's options are wrong; found before any socket is opened. */
export class DhcpConfigError extends DhcpError {
  readonly code = 'DHCP_CONFIG';
}

/** A socket could not be bound; the message names the address and port. */
export class DhcpBindError extends DhcpError {
  readonly code = 'DHCP_BIND';
}

/** The lease file exists but cannot be read or does not parse; the server refuses to start rather than forget leases. */
export class DhcpLeaseFileError extends DhcpError {
  readonly code = 'DHCP_LEASE_FILE';
}
