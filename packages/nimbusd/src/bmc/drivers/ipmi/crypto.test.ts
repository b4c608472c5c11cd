// RAKP key exchange and session keys, with the inputs laid out byte by byte as IPMI 2.0
// sections 13.31–13.32 give them, for suite 3 (SHA-1) and suite 17 (SHA-256).
import { createDecipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CIPHER_SUITES, additionalKey, decryptPayload, deriveSessionKeys, encryptPayload, integrityCode, rakp2AuthCode, rakp3AuthCode, rakp4Icv, sessionIntegrityKey,
  type RakpContext,
} from './crypto.ts';
import { decodePacket, encodeV20Packet } from './wire.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const Rm = hex('000102030405060708090a0b0c0d0e0f');
const Rc = hex('101112131415161718191a1b1c1d1e1f');
const GUID = hex('202122232425262728292a2b2c2d2e2f');
const SIDM_LE = '44332211'; // console session ID 0x11223344, least significant byte first
const SIDC_LE = 'd4c3b2a1'; // BMC session ID 0xa1b2c3d4
const ROLE_NAME = '14' + '05' + Buffer.from('admin').toString('hex'); // role, name length, name

function context(suite: 3 | 17, kg?: Buffer): RakpContext {
  return {
    suite: CIPHER_SUITES[suite], consoleSessionId: 0x11223344, bmcSessionId: 0xa1b2c3d4, consoleRandom: Rm, bmcRandom: Rc, bmcGuid: GUID,
    role: 0x14, username: Buffer.from('admin'), password: Buffer.from('secret'), ...(kg ? { kg } : {}),
  };
}

describe.each([
  { suite: 3 as const, hash: 'sha1', exchange: 20, integrity: 12 },
  { suite: 17 as const, hash: 'sha256', exchange: 32, integrity: 16 },
])('cipher suite $suite ($hash)', ({ suite, hash, exchange, integrity }) => {
  const mac = (key: Buffer | string, data: Buffer) => createHmac(hash, key).update(data).digest();
  const ctx = context(suite);

  it('RAKP 2 code is HMAC_Kuid(SIDm | SIDc | Rm | Rc | GUIDc | ROLEm | ULENGTHm | UNAMEm)', () => {
    const expected = mac('secret', Buffer.concat([hex(SIDM_LE + SIDC_LE), Rm, Rc, GUID, hex(ROLE_NAME)]));
    expect(rakp2AuthCode(ctx)).toEqual(expected);
    expect(expected).toHaveLength(exchange);
  });

  it('RAKP 3 code is HMAC_Kuid(Rc | SIDm | ROLEm | ULENGTHm | UNAMEm)', () => {
    expect(rakp3AuthCode(ctx)).toEqual(mac('secret', Buffer.concat([Rc, hex(SIDM_LE), hex(ROLE_NAME)])));
  });

  it('SIK is keyed by the password without K_g and by K_g with it', () => {
    const input = Buffer.concat([Rm, Rc, hex(ROLE_NAME)]);
    expect(sessionIntegrityKey(ctx)).toEqual(mac('secret', input));
    const kg = hex('0102030405060708090a0b0c0d0e0f1011121314');
    expect(sessionIntegrityKey(context(suite, kg))).toEqual(mac(kg, input));
    expect(sessionIntegrityKey(context(suite, kg))).not.toEqual(sessionIntegrityKey(ctx));
  });

  it('RAKP 4 ICV is HMAC_SIK(Rm | SIDc | GUIDc), truncated to the integrity length', () => {
    const sik = sessionIntegrityKey(ctx);
    expect(rakp4Icv(ctx, sik)).toEqual(mac(sik, Buffer.concat([Rm, hex(SIDC_LE), GUID])).subarray(0, integrity));
  });

  it('K1 and K2 are HMAC_SIK of 20 bytes of 01h and 02h; the AES key is K2[0..16)', () => {
    const sik = sessionIntegrityKey(ctx);
    const keys = deriveSessionKeys(ctx, sik);
    expect(keys.k1).toEqual(mac(sik, Buffer.alloc(20, 1)));
    expect(additionalKey(CIPHER_SUITES[suite], sik, 2)).toEqual(mac(sik, Buffer.alloc(20, 2)));
    expect(keys.aesKey).toEqual(mac(sik, Buffer.alloc(20, 2)).subarray(0, 16));
  });

  it('signs a packet over auth type .. next header, padded to 4 bytes, and the signature verifies', () => {
    const keys = deriveSessionKeys(ctx, sessionIntegrityKey(ctx));
    const packet = encodeV20Packet({ payloadType: 0, sessionId: 0xa1b2c3d4, sequence: 7, payload: hex('0102030405'), encrypted: false, sign: (s) => integrityCode(keys, s) });
    const parsed = decodePacket(packet, integrity);
    if (parsed.format !== 'v20') throw new Error('expected an RMCP+ packet');
    expect(parsed.signed.length % 4).toBe(0);
    expect(parsed.signed[parsed.signed.length - 1]).toBe(0x07);
    expect(parsed.authCode).toEqual(mac(keys.k1, parsed.signed).subarray(0, integrity));
    expect(parsed.payload).toEqual(hex('0102030405'));
  });
});

describe('AES-CBC-128 confidentiality', () => {
  const keys = deriveSessionKeys(context(3), sessionIntegrityKey(context(3)));
  const iv = hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');

  it('pads with 01h, 02h, .. and the pad length, to whole blocks, after the IV', () => {
    const out = encryptPayload(keys, hex('aabbccddee'), iv);
    expect(out.subarray(0, 16)).toEqual(iv);
    expect(out).toHaveLength(32);
    const d = createDecipheriv('aes-128-cbc', keys.aesKey, iv).setAutoPadding(false);
    const plain = Buffer.concat([d.update(out.subarray(16)), d.final()]);
    expect(plain).toEqual(hex('aabbccddee 0102030405060708090a 0a'));
  });

  it.each([0, 14, 15, 16, 40])('round-trips %i bytes', (n) => {
    const data = Buffer.alloc(n, 0x5a);
    const out = encryptPayload(keys, data, iv);
    expect((out.length - 16) % 16).toBe(0);
    expect(decryptPayload(keys, out)).toEqual(data);
  });

  it('rejects a payload that is not IV plus whole blocks', () => {
    expect(() => decryptPayload(keys, Buffer.alloc(20))).toThrow(/not IV plus whole AES blocks/);
  });
});
