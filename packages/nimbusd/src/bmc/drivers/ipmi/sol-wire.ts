/**
 * Serial over LAN on the wire (IPMI 2.0 §15 and §24): the 4-byte SOL payload header with
 * its character data, and the request and reply bytes of the payload commands (Activate,
 * Deactivate, Get Payload Activation Status, Get SOL Configuration Parameters). Pure; a
 * payload that does not parse is a WireError.
 */
import { WireError } from './wire.ts';

/** BMC → remote console status bits (IPMI 2.0 table 15-2, byte 4). */
export const SOL_STATUS = {
  nack: 0x40,
  transferUnavailable: 0x20,
  deactivating: 0x10,
  transmitOverrun: 0x08,
  breakDetected: 0x04,
} as const;

/** The most characters one SOL packet can acknowledge: the accepted-count field is one byte. */
export const SOL_MAX_CHARS = 255;
const SOL_HEADER = 4;

export interface SolPacket {
  /** 1–15 for a packet carrying characters (or an empty one that only takes a number); 0 for a packet that only acknowledges. */
  sequence: number;
  /** The sequence number acknowledged (or refused); 0 when this packet acknowledges nothing. */
  ackSequence: number;
  /** How many characters of the acknowledged packet were accepted. */
  acceptedCount: number;
  /** Operation bits (console → BMC; nimbusd sends none) or status bits (BMC → console). */
  flags: number;
  data: Buffer;
}

export function encodeSolPacket(p: SolPacket): Buffer {
  if (!Number.isInteger(p.sequence) || p.sequence < 0 || p.sequence > 15) throw new WireError(`SOL sequence ${p.sequence} is not 0–15`);
  if (!Number.isInteger(p.ackSequence) || p.ackSequence < 0 || p.ackSequence > 15) throw new WireError(`SOL ack sequence ${p.ackSequence} is not 0–15`);
  if (p.data.length > SOL_MAX_CHARS) throw new WireError(`SOL packet of ${p.data.length} characters is over ${SOL_MAX_CHARS}`);
  if (p.sequence === 0 && p.data.length > 0) throw new WireError('a SOL packet with characters needs a sequence number');
  const buf = Buffer.alloc(SOL_HEADER + p.data.length);
  buf[0] = p.sequence;
  buf[1] = p.ackSequence;
  buf[2] = p.acceptedCount & 0xff;
  buf[3] = p.flags & 0x7f;
  p.data.copy(buf, SOL_HEADER);
  return buf;
}

export function decodeSolPacket(buf: Buffer): SolPacket {
  if (buf.length < SOL_HEADER) throw new WireError(`SOL payload of ${buf.length} bytes is shorter than its 4-byte header`);
  // The high nibbles of the two sequence bytes are reserved: read the numbers, ignore the rest.
  const packet = { sequence: buf[0]! & 0x0f, ackSequence: buf[1]! & 0x0f, acceptedCount: buf[2]!, flags: buf[3]! & 0x7f, data: buf.subarray(SOL_HEADER) };
  if (packet.sequence === 0 && packet.data.length > 0) throw new WireError(`SOL payload carries ${packet.data.length} characters without a sequence number`);
  return packet;
}

/** Activate Payload (App 48h) for SOL instance 1, with the session's authentication and encryption. */
export function encodeActivateSol(): Uint8Array {
  // Aux byte 1: bit 7 encryption, bit 6 authentication; serial alerts fail while SOL is active;
  // the BMC raises CTS and DCD/DSR at once (no startup handshake).
  return Uint8Array.of(0x01, 0x01, 0xc0, 0x00, 0x00, 0x00);
}

/** Deactivate Payload (App 49h) for SOL instance 1. */
export function encodeDeactivateSol(): Uint8Array {
  return Uint8Array.of(0x01, 0x01, 0x00, 0x00, 0x00, 0x00);
}

export interface SolActivation {
  /** The most payload bytes (header included) the BMC takes from us in one packet. */
  inboundPayloadSize: number;
  /** The most payload bytes the BMC sends in one packet. */
  outboundPayloadSize: number;
  /** The UDP port SOL packets go to; usually the session's own. */
  port: number;
  /** 802.1Q VLAN ID of the payload, 0xfff when none. */
  vlan: number;
}

export function decodeActivateSol(data: Buffer): SolActivation {
  if (data.length < 12) throw new WireError(`Activate Payload reply of ${data.length} bytes is shorter than 12`);
  const activation = { inboundPayloadSize: data.readUInt16LE(4), outboundPayloadSize: data.readUInt16LE(6), port: data.readUInt16LE(8), vlan: data.readUInt16LE(10) & 0x0fff };
  if (activation.inboundPayloadSize <= SOL_HEADER) throw new WireError(`Activate Payload reply gives an inbound payload size of ${activation.inboundPayloadSize}: no room for a character`);
  if (activation.port === 0) throw new WireError('Activate Payload reply gives UDP port 0');
  return activation;
}

/** How many characters fit in one packet to this BMC. */
export function solCharsPerPacket(activation: SolActivation): number {
  return Math.min(activation.inboundPayloadSize - SOL_HEADER, SOL_MAX_CHARS);
}

/** Activate Payload completion codes (IPMI 2.0 §24.1). */
export const ACTIVATE_CODES = {
  alreadyActive: 0x80,
  typeDisabled: 0x81,
  limitReached: 0x82,
  cannotEncrypt: 0x83,
  mustEncrypt: 0x84,
} as const;

/** Get Payload Instance Info (App 4Bh) for SOL instance 1. */
export function encodeSolInstanceInfo(): Uint8Array {
  return Uint8Array.of(0x01, 0x01);
}

/** The BMC's ID of the session SOL instance 1 is active in, from a Get Payload Instance Info reply; 0 when inactive. */
export function decodeSolOwnerSession(data: Buffer): number {
  if (data.length < 4) throw new WireError(`Get Payload Instance Info reply of ${data.length} bytes is shorter than 4`);
  return data.readUInt32LE(0);
}

/** Get Payload Activation Status (App 4Ah) for SOL. */
export function encodeSolActivationStatus(): Uint8Array {
  return Uint8Array.of(0x01);
}

/** Whether SOL instance 1 is active (in any session), from a Get Payload Activation Status reply. */
export function decodeSolInstanceActive(data: Buffer): boolean {
  if (data.length < 3) throw new WireError(`Get Payload Activation Status reply of ${data.length} bytes is shorter than 3`);
  return (data.readUInt16LE(1) & 0x0001) !== 0;
}

/** Get SOL Configuration Parameters (Transport 22h), parameter 1 "SOL Enable", on the channel in use. */
export function encodeGetSolEnable(): Uint8Array {
  return Uint8Array.of(0x0e, 0x01, 0x00, 0x00);
}

export function decodeSolEnabled(data: Buffer): boolean {
  if (data.length < 2) throw new WireError(`Get SOL Configuration Parameters reply of ${data.length} bytes is shorter than 2`);
  return (data[1]! & 0x01) !== 0;
}
