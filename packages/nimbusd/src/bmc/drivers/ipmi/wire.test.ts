import { describe, expect, it } from 'vitest';
import { decodeOpenSessionResponse, decodeRakp2, encodeOpenSessionRequest, encodeRakp1 } from './rakp.ts';
import { CIPHER_SUITES } from './crypto.ts';
import { WireError, checksum, decodeIpmiResponse, decodePacket, encodeIpmiRequest, encodeV15Packet } from './wire.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('IPMI messages', () => {
  it('encodes Get Device ID with both checksums', () => {
    // rsAddr 20, netFn App<<2, chk, rqAddr 81, rqSeq 1<<2, cmd 01, chk
    expect(encodeIpmiRequest({ netFn: 0x06, cmd: 0x01, rqSeq: 1, data: new Uint8Array(0) })).toEqual(hex('20 18 c8 81 04 01 7a'));
  });

  it('decodes a response and checks its checksums', () => {
    const msg = hex('81 1c 63 20 04 01 00 aa 00');
    msg[msg.length - 1] = checksum(msg, 3, msg.length - 1);
    expect(decodeIpmiResponse(msg)).toMatchObject({ netFn: 0x06, cmd: 0x01, rqSeq: 1, completionCode: 0, data: hex('aa') });
    msg[7] = 0xab;
    expect(() => decodeIpmiResponse(msg)).toThrow(/data checksum/);
  });

  it('rejects a request echoed back as if it were a response', () => {
    expect(() => decodeIpmiResponse(encodeIpmiRequest({ netFn: 0x06, cmd: 0x01, rqSeq: 1, data: hex('00') }))).toThrow(/checksum|not a response/);
  });
});

describe('packets', () => {
  it('frames a pre-session request as RMCP + IPMI 1.5 with auth type none', () => {
    expect(encodeV15Packet(hex('aabb'))).toEqual(hex('0600ff07 00 00000000 00000000 02 aabb'));
  });

  it.each([
    ['empty', ''],
    ['not RMCP', '7f3a9c0011223344556677'],
    ['RMCP+ header cut short', '0600ff07 06 00 00000000'],
    ['RMCP+ payload shorter than its length', '0600ff07 06 00 00000000 00000000 1000 0102'],
    ['IPMI 1.5 message shorter than its length', '0600ff07 00 00000000 00000000 10 201c'],
  ])('rejects %s with a WireError', (_name, bytes) => {
    expect(() => decodePacket(hex(bytes), 12)).toThrow(WireError);
  });
});

describe('session setup payloads', () => {
  it('asks for the suite 17 algorithms in Open Session Request', () => {
    const b = encodeOpenSessionRequest(7, 0x11223344, CIPHER_SUITES[17]);
    expect(b).toEqual(hex('07 04 0000 44332211  00000008 03000000  01000008 04000000  02000008 01000000'));
  });

  it('reads a short refusal (tag and status only) as ipmi_sim sends it', () => {
    expect(decodeOpenSessionResponse(hex('0704'))).toEqual({ tag: 7, status: 4, consoleSessionId: undefined, bmcSessionId: 0 });
  });

  it('puts the BMC session ID, Rm, role and name where RAKP 1 wants them', () => {
    const b = encodeRakp1(9, 0xa1b2c3d4, Buffer.alloc(16, 0xee), 0x14, Buffer.from('ab'));
    expect(b).toEqual(hex('09 000000 d4c3b2a1' + 'ee'.repeat(16) + '14 0000 02 6162'));
  });

  it('rejects a successful RAKP 2 that is too short for its auth code', () => {
    expect(() => decodeRakp2(hex('01 00 0000 44332211' + '00'.repeat(32) + '00'.repeat(10)), CIPHER_SUITES[3])).toThrow(/truncated/);
  });
});
