import { describe, expect, it } from 'vitest';
import { decodeActivateSol, decodeSolInstanceActive, decodeSolOwnerSession, decodeSolPacket, encodeSolPacket, solCharsPerPacket, SOL_MAX_CHARS } from './sol-wire.ts';
import { WireError } from './wire.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SOL packets', () => {
  it('round-trips a packet with characters and an acknowledgement', () => {
    const packet = { sequence: 3, ackSequence: 7, acceptedCount: 12, flags: 0x10, data: Buffer.from('ls -l\r') };
    const bytes = encodeSolPacket(packet);
    expect(bytes.subarray(0, 4)).toEqual(hex('03 07 0c 10'));
    expect(decodeSolPacket(bytes)).toEqual(packet);
  });

  it('reads an acknowledgement-only packet', () => {
    expect(decodeSolPacket(hex('00 05 20 00'))).toMatchObject({ sequence: 0, ackSequence: 5, acceptedCount: 32, data: Buffer.alloc(0) });
  });

  it('ignores the reserved high nibbles of the sequence bytes', () => {
    expect(decodeSolPacket(hex('f2 a1 00 00 41'))).toMatchObject({ sequence: 2, ackSequence: 1, data: Buffer.from('A') });
  });

  it.each([
    ['empty', ''],
    ['a header cut short', '01 00 00'],
    ['characters without a sequence number', '00 00 00 00 41 42'],
  ])('rejects %s with a WireError', (_name, bytes) => {
    expect(() => decodeSolPacket(hex(bytes))).toThrow(WireError);
  });

  it.each([
    ['a sequence over 15', { sequence: 16, ackSequence: 0, acceptedCount: 0, flags: 0, data: Buffer.from('x') }],
    ['characters with sequence 0', { sequence: 0, ackSequence: 0, acceptedCount: 0, flags: 0, data: Buffer.from('x') }],
    ['more characters than one byte can acknowledge', { sequence: 1, ackSequence: 0, acceptedCount: 0, flags: 0, data: Buffer.alloc(SOL_MAX_CHARS + 1) }],
  ])('refuses to encode %s', (_name, packet) => {
    expect(() => encodeSolPacket(packet)).toThrow(WireError);
  });
});

describe('payload commands', () => {
  it('reads the sizes and port of an Activate Payload reply', () => {
    const activation = decodeActivateSol(hex('00000000 0801 0001 6f02 ff0f'));
    expect(activation).toEqual({ inboundPayloadSize: 0x108, outboundPayloadSize: 0x100, port: 623, vlan: 0xfff });
    expect(solCharsPerPacket(activation)).toBe(255);
    expect(solCharsPerPacket({ ...activation, inboundPayloadSize: 68 })).toBe(64);
  });

  it.each([
    ['a short reply', '00000000 0801 0001'],
    ['no room for a character', '00000000 0400 0001 6f02 ff0f'],
    ['port 0', '00000000 0801 0001 0000 ff0f'],
  ])('rejects an Activate Payload reply with %s', (_name, bytes) => {
    expect(() => decodeActivateSol(hex(bytes))).toThrow(WireError);
  });

  it('reads whether SOL instance 1 is active, and rejects a short Get Payload Activation Status reply', () => {
    expect(decodeSolInstanceActive(hex('01 0100'))).toBe(true);
    expect(decodeSolInstanceActive(hex('01 0200'))).toBe(false);
    expect(() => decodeSolInstanceActive(hex('01 01'))).toThrow(WireError);
  });

  it('reads the session SOL is active in, and rejects a short Get Payload Instance Info reply', () => {
    expect(decodeSolOwnerSession(hex('78563412 0000000000000000'))).toBe(0x12345678);
    expect(() => decodeSolOwnerSession(hex('7856'))).toThrow(WireError);
  });
});
