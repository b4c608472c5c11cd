import { NimbusError } from '@nimbus/core';

/** Anything the TFTP server or its packet codec fails with. */
export abstract class TftpError extends NimbusError {}

/** What part of a datagram was wrong; stable, so metrics can count by it. */
export type TftpPacketFault =
  | 'truncated'
  | 'oversized'
  | 'unknown-opcode'
  | 'unterminated-string'
  | 'empty-filename'
  | 'bad-filename'
  | 'unknown-mode'
  | 'odd-option-list'
  | 'empty-option-name'
  | 'duplicate-option'
  | 'bad-option-value'
  | 'trailing-bytes';

/** A datagram that is not a well-formed TFTP packet. Carries the byte offset where parsing stopped. */
export class TftpPacketError extends TftpError {
  readonly code = 'TFTP_PACKET';
  readonly fault: TftpPacketFault;
  /** Offset in the datagram of the field that is wrong. */
  readonly offset: number;
  /** The opcode when the first two bytes were readable, else null. */
  readonly opcode: number | null;

  constructor(fault: TftpPacketFault, message: string, offset: number, opcode: number | null) {
    super(`malformed TFTP packet (${fault} at byte ${offset}): ${message}`);
    this.fault = fault;
    this.offset = offset;
    this.opcode = opcode;
  }
}

/** The server cannot start as configured: a missing root, an option out of range, a port in use. */
export class TftpConfigError extends TftpError {
  readonly code = 'TFTP_CONFIG';
}

/** A file shrank while it was being sent: its size is fixed when the transfer starts. */
export class TftpFileChangedError extends TftpError {
  readonly code = 'TFTP_FILE_CHANGED';
}

/** A packet that cannot be encoded as asked (a block number out of range, a NUL inside a string): a bug in the caller. */
export class TftpEncodeError extends TftpError {
  readonly code = 'TFTP_ENCODE';
}
