// The driver's logic without a network: a client whose command() is answered by a fake BMC.
import { describe, expect, it } from 'vitest';
import { BmcConfigError, BmcProtocolError } from '../../errors.ts';
import type { PowerAction } from '../../power.ts';
import { IpmiClient } from './client.ts';
import { decodeBootFlags, encodeBootFlags } from './commands.ts';
import { createIpmiDriver, validateIpmiConfig } from './index.ts';
import type { IpmiTransport } from './transport.ts';

class FakeBmc extends IpmiClient {
  powerOn: boolean;
  readonly sent: string[] = [];
  cc = 0;
  constructor(powerOn: boolean) {
    super({ transport: undefined as unknown as IpmiTransport, host: '192.0.2.1', port: 623, username: 'u', password: 'p' });
    this.powerOn = powerOn;
  }
  override async command(netFn: number, cmd: number, data: Uint8Array, what: string): Promise<Buffer> {
    this.sent.push(`${netFn}/${cmd}/${Buffer.from(data).toString('hex')}`);
    if (this.cc) throw new BmcProtocolError(`${what} failed`, { completionCode: this.cc, target: what });
    if (netFn === 0 && cmd === 1) return Buffer.from([this.powerOn ? 1 : 0, 0, 0]);
    return Buffer.alloc(0);
  }
  controls(): string[] {
    return this.sent.filter((s) => s.startsWith('0/2/'));
  }
}

describe('setPower', () => {
  it.each<[boolean, PowerAction, string[]]>([
    [true, 'on', []],
    [false, 'off', []],
    [false, 'soft-off', []],
    [false, 'on', ['0/2/01']],
    [true, 'off', ['0/2/00']],
    [true, 'soft-off', ['0/2/05']],
    [true, 'cycle', ['0/2/02']],
    [false, 'cycle', ['0/2/01']],
    [true, 'reset', ['0/2/03']],
    [false, 'reset', ['0/2/01']],
  ])('machine on=%s, %s sends %j', async (on, action, expected) => {
    const bmc = new FakeBmc(on);
    await bmc.setPower(action);
    expect(bmc.controls()).toEqual(expected);
  });

  it('passes the completion code of a refused command on', async () => {
    const bmc = new FakeBmc(false);
    bmc.cc = 0xd4;
    await expect(bmc.setPower('on')).rejects.toMatchObject({ code: 'BMC_PROTOCOL', completionCode: 0xd4 });
  });
});

describe('boot flags (parameter 5)', () => {
  it('sets valid, persistent and EFI bits and the device selector', () => {
    expect(Buffer.from(encodeBootFlags({ device: 'pxe', persistent: true, mode: 'uefi' })).toString('hex')).toBe('e004000000');
    expect(Buffer.from(encodeBootFlags({ device: 'disk', persistent: false, mode: 'legacy' })).toString('hex')).toBe('8008000000');
    expect(Buffer.from(encodeBootFlags({ device: 'cdrom', persistent: false, mode: 'legacy' })).toString('hex')).toBe('8014000000');
    expect(Buffer.from(encodeBootFlags({ device: 'bios-setup', persistent: false, mode: 'uefi' })).toString('hex')).toBe('a018000000');
  });

  it('reads them back, and no valid bit or no selector as no override', () => {
    expect(decodeBootFlags(Buffer.from('e004000000', 'hex'))).toEqual({ device: 'pxe', persistent: true, mode: 'uefi' });
    expect(decodeBootFlags(Buffer.from('0004000000', 'hex'))).toBeNull();
    expect(decodeBootFlags(Buffer.from('8000000000', 'hex'))).toBeNull();
    expect(() => decodeBootFlags(Buffer.from('803c000000', 'hex'))).toThrow(/selector 0xf/);
  });
});

describe('validate', () => {
  const ok = { driver: 'ipmi' as const, host: '10.0.0.5', username: 'admin', password: 'pw' };

  it('accepts usable settings', () => {
    expect(validateIpmiConfig({ ...ok, port: 623, kg: '00112233', cipherSuite: 17 })).toEqual([]);
    expect(validateIpmiConfig({ ...ok, system: 'Blade1' })).toEqual([{ setting: 'system', message: 'is a Redfish setting; the IPMI driver does not use it' }]);
  });

  it('names each wrong setting, and never echoes a secret', () => {
    const problems = validateIpmiConfig({ ...ok, host: ' ', port: 70000, username: 'x'.repeat(17), password: 'p'.repeat(21), kg: 'zz-secret-kg', cipherSuite: 4 as 3 });
    expect(problems.map((p) => p.setting)).toEqual(['host', 'port', 'username', 'password', 'kg', 'cipherSuite']);
    expect(JSON.stringify(problems)).not.toContain('secret-kg');
    expect(JSON.stringify(problems)).not.toContain('ppppp');
  });

  it('makes create() refuse bad settings before any network call', () => {
    expect(() => createIpmiDriver().create({ ...ok, kg: 'abc' })).toThrow(BmcConfigError);
  });
});

describe('inventory', () => {
  /** Answers Get Device ID (FRU support bit as given) and fails Get System GUID and FRU reads with a completion code. */
  class IdentityOnlyBmc extends IpmiClient {
    readonly asked: string[] = [];
    readonly fruBit: boolean;
    constructor(fruBit: boolean) {
      super({ transport: undefined as unknown as IpmiTransport, host: '192.0.2.1', port: 623, username: 'u', password: 'p' });
      this.fruBit = fruBit;
    }
    override async command(netFn: number, cmd: number, _data: Uint8Array, what: string): Promise<Buffer> {
      this.asked.push(what);
      if (netFn === 6 && cmd === 1) return Buffer.from([0x20, 0x01, 0x02, 0x15, 0x02, this.fruBit ? 0x08 : 0x00, 0xa2, 0x02, 0x00, 0x01, 0x00]);
      throw new BmcProtocolError(`${what} failed`, { completionCode: 0xc1, target: what });
    }
  }

  it('takes the identity from Get Device ID when the FRU data is damaged', async () => {
    class DamagedFruBmc extends IdentityOnlyBmc {
      override async command(netFn: number, cmd: number, data: Uint8Array, what: string): Promise<Buffer> {
        // Get FRU Inventory Area Info: 256 bytes; Read FRU Data: a header whose checksum is wrong.
        if (netFn === 0x0a) this.asked.push(what);
        if (netFn === 0x0a && cmd === 0x10) return Buffer.from([0x00, 0x01, 0x00]);
        if (netFn === 0x0a && cmd === 0x11) return Buffer.from([0x10, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
        return super.command(netFn, cmd, data, what);
      }
    }
    const bmc = new DamagedFruBmc(true);
    expect((await bmc.inventory()).system).toEqual({ manufacturer: 'Dell', bmcFirmware: '2.15' });
    expect(bmc.asked).toContain('Read FRU Data');
  });

  it.each([true, false])('falls back to the IANA manufacturer without FRU data (FRU support bit %s)', async (fruBit) => {
    const bmc = new IdentityOnlyBmc(fruBit);
    expect((await bmc.inventory()).system).toEqual({ manufacturer: 'Dell', bmcFirmware: '2.15' });
    expect(bmc.asked.includes('Get FRU Inventory Area Info')).toBe(fruBit);
  });
});
