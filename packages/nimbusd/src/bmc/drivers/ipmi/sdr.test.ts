import { describe, expect, it } from 'vitest';
import type { CommandChannel } from './commands.ts';
import { convertReading, decodeFullSensorRecord, readSensors } from './sdr.ts';

/** A full sensor record (type 01h) with the fields the driver reads; the rest zero. */
function fullRecord(o: { id: number; number: number; type: number; unit: number; m: number; b: number; rExp: number; bExp: number; format?: number; name: string }): Buffer {
  const name = Buffer.from(o.name, 'latin1');
  const r = Buffer.alloc(48 + name.length);
  r.writeUInt16LE(o.id, 0);
  r[2] = 0x51;
  r[3] = 0x01;
  r[4] = r.length - 5;
  r[7] = o.number;
  r[12] = o.type;
  r[20] = (o.format ?? 0) << 6;
  r[21] = o.unit;
  const m = o.m & 0x3ff;
  const b = o.b & 0x3ff;
  r[24] = m & 0xff;
  r[25] = (m >> 8) << 6;
  r[26] = b & 0xff;
  r[27] = (b >> 8) << 6;
  r[29] = ((o.rExp & 0xf) << 4) | (o.bExp & 0xf);
  r[47] = 0xc0 | name.length;
  name.copy(r, 48);
  return r;
}

describe('full sensor records', () => {
  it('decodes signed 10-bit M and B and 4-bit exponents', () => {
    const r = decodeFullSensorRecord(fullRecord({ id: 3, number: 0x30, type: 0x02, unit: 4, m: -2, b: -300, rExp: -2, bExp: 1, name: '12V' }))!;
    expect(r).toMatchObject({ recordId: 3, sensorNumber: 0x30, m: -2, b: -300, rExp: -2, bExp: 1, name: '12V' });
  });

  it('converts y = (M x + B 10^Bexp) 10^Rexp, signed formats included', () => {
    const volts = decodeFullSensorRecord(fullRecord({ id: 1, number: 1, type: 2, unit: 4, m: 6, b: 0, rExp: -2, bExp: 0, name: 'v' }))!;
    expect(convertReading(volts, 200)).toBe(12);
    const temp = decodeFullSensorRecord(fullRecord({ id: 1, number: 1, type: 1, unit: 1, m: 1, b: 0, rExp: 0, bExp: 0, format: 2, name: 't' }))!;
    expect(convertReading(temp, 0xf6)).toBe(-10);
    const none = decodeFullSensorRecord(fullRecord({ id: 1, number: 1, type: 1, unit: 1, m: 1, b: 0, rExp: 0, bExp: 0, format: 3, name: 't' }))!;
    expect(convertReading(none, 5)).toBeNull();
  });

  it('skips record types other than full sensor and rejects a truncated one', () => {
    const compact = Buffer.from([1, 0, 0x51, 0x02, 0]);
    expect(decodeFullSensorRecord(compact)).toBeNull();
    expect(() => decodeFullSensorRecord(fullRecord({ id: 1, number: 1, type: 1, unit: 1, m: 1, b: 0, rExp: 0, bExp: 0, name: 't' }).subarray(0, 30))).toThrow(/truncated/);
  });
});

describe('readSensors', () => {
  it('walks the repository in pieces and reads each analog sensor', async () => {
    const records = new Map([
      [0, { next: 7, rec: fullRecord({ id: 0, number: 0x10, type: 0x01, unit: 1, m: 1, b: 0, rExp: 0, bExp: 0, name: 'CPU Temp' }) }],
      [7, { next: 0xffff, rec: fullRecord({ id: 7, number: 0x20, type: 0x04, unit: 18, m: 50, b: 0, rExp: 0, bExp: 0, name: 'FAN1' }) }],
    ]);
    const ch: CommandChannel = {
      async command(netFn, cmd, data) {
        if (netFn === 0x0a && cmd === 0x20) return Buffer.from([0x51, 2, 0]);
        if (netFn === 0x0a && cmd === 0x22) return Buffer.from([0x34, 0x12]);
        if (netFn === 0x0a && cmd === 0x23) {
          expect(data[0]! | (data[1]! << 8)).toBe(0x1234);
          const { next, rec } = records.get(data[2]! | (data[3]! << 8))!;
          expect(data[5]).toBeLessThanOrEqual(16);
          const head = Buffer.alloc(2);
          head.writeUInt16LE(next);
          return Buffer.concat([head, rec.subarray(data[4]!, data[4]! + data[5]!)]);
        }
        if (netFn === 0x04 && cmd === 0x2d) return data[0] === 0x10 ? Buffer.from([45, 0x40, 0]) : Buffer.from([0, 0x60, 0]);
        throw new Error(`unexpected ${netFn}/${cmd}`);
      },
    };
    expect(await readSensors(ch)).toEqual([
      { name: 'CPU Temp', kind: 'temperature', value: 45, unit: 'C' },
      { name: 'FAN1', kind: 'fan', value: null, unit: 'RPM' },
    ]);
  });
});
