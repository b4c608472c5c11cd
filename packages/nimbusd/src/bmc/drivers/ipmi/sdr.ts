/**
 * Sensors from the SDR repository: walk it with Reserve SDR Repository / Get SDR (read
 * in small pieces, which every BMC supports), keep the full sensor records (type 0x01),
 * read each with Get Sensor Reading and convert the raw byte with the record's linear
 * formula y = (M·x + B·10^Bexp)·10^Rexp. Non-linear and discrete sensors are skipped.
 */
import type { SensorKind, SensorReading } from '../../sensors.ts';
import { BmcProtocolError } from '../../errors.ts';
import type { CommandChannel } from './commands.ts';
import { NETFN } from './wire.ts';

export interface FullSensorRecord {
  recordId: number;
  sensorNumber: number;
  sensorType: number;
  /** 0 unsigned, 1 one's complement, 2 two's complement, 3 no analog reading. */
  analogFormat: number;
  baseUnit: number;
  linearization: number;
  m: number;
  b: number;
  bExp: number;
  rExp: number;
  name: string;
}

function signed(value: number, bits: number): number {
  return value & (1 << (bits - 1)) ? value - (1 << bits) : value;
}

/** Decodes a whole SDR (header included); returns null for record types other than full sensor. */
export function decodeFullSensorRecord(rec: Buffer): FullSensorRecord | null {
  if (rec.length < 5) throw new BmcProtocolError(`SDR of ${rec.length} bytes is truncated`, { target: 'Get SDR' });
  if (rec[3] !== 0x01) return null;
  if (rec.length < 48) throw new BmcProtocolError(`full sensor record of ${rec.length} bytes is truncated`, { target: 'Get SDR' });
  const nameLength = rec[47]! & 0x1f;
  return {
    recordId: rec.readUInt16LE(0),
    sensorNumber: rec[7]!,
    sensorType: rec[12]!,
    analogFormat: rec[20]! >> 6,
    baseUnit: rec[21]!,
    linearization: rec[23]! & 0x7f,
    m: signed(rec[24]! | ((rec[25]! & 0xc0) << 2), 10),
    b: signed(rec[26]! | ((rec[27]! & 0xc0) << 2), 10),
    rExp: signed(rec[29]! >> 4, 4),
    bExp: signed(rec[29]! & 0x0f, 4),
    name: rec.subarray(48, 48 + nameLength).toString('latin1').replace(/\0+$/, ''),
  };
}

/** Converts a raw reading with the record's linear formula; null when the record has no analog reading. */
export function convertReading(r: FullSensorRecord, raw: number): number | null {
  if (r.analogFormat === 3 || r.linearization !== 0) return null;
  const x = r.analogFormat === 1 ? (raw & 0x80 ? -(~raw & 0x7f) : raw) : r.analogFormat === 2 ? signed(raw, 8) : raw;
  const y = (r.m * x + r.b * 10 ** r.bExp) * 10 ** r.rExp;
  return Number(y.toPrecision(12)); // drop float noise from the powers of ten
}

const SENSOR_KIND: Readonly<Record<number, SensorKind>> = { 0x01: 'temperature', 0x02: 'voltage', 0x03: 'current', 0x04: 'fan', 0x08: 'power' };
const UNIT: Readonly<Record<number, string>> = { 1: 'C', 2: 'F', 4: 'V', 5: 'A', 6: 'W', 18: 'RPM' };

async function readSdr(ch: CommandChannel, reservation: number, recordId: number, signal?: AbortSignal): Promise<{ next: number; record: Buffer }> {
  const what = 'Get SDR';
  const get = async (offset: number, count: number) => {
    const d = await ch.command(NETFN.storage, 0x23, Uint8Array.of(reservation & 0xff, reservation >> 8, recordId & 0xff, recordId >> 8, offset, count), what, signal);
    if (d.length < 2 + Math.min(count, 1)) throw new BmcProtocolError(`${what} reply of ${d.length} bytes is truncated`, { target: what });
    return d;
  };
  const head = await get(0, 5);
  const next = head.readUInt16LE(0);
  const header = head.subarray(2, 7);
  if (header.length < 5) throw new BmcProtocolError(`${what} header of ${header.length} bytes is truncated`, { target: what });
  const total = 5 + header[4]!;
  const parts = [header];
  // 16-byte pieces fit every BMC's message size (ipmitool uses the same fallback).
  for (let offset = 5; offset < total; offset += 16) {
    const piece = await get(offset, Math.min(16, total - offset));
    parts.push(piece.subarray(2));
  }
  return { next, record: Buffer.concat(parts).subarray(0, total) };
}

export async function readSensors(ch: CommandChannel, signal?: AbortSignal): Promise<SensorReading[]> {
  const info = await ch.command(NETFN.storage, 0x20, new Uint8Array(0), 'Get SDR Repository Info', signal);
  if (info.length < 3 || info.readUInt16LE(1) === 0) return [];
  const res = await ch.command(NETFN.storage, 0x22, new Uint8Array(0), 'Reserve SDR Repository', signal);
  if (res.length < 2) throw new BmcProtocolError('Reserve SDR Repository reply is truncated', { target: 'Reserve SDR Repository' });
  const reservation = res.readUInt16LE(0);
  const readings: SensorReading[] = [];
  const seen = new Set<number>();
  for (let id = 0; id !== 0xffff && !seen.has(id); ) {
    seen.add(id); // a BMC whose "next" loops must not keep us here forever
    const { next, record } = await readSdr(ch, reservation, id, signal);
    id = next;
    const full = decodeFullSensorRecord(record);
    if (!full || full.analogFormat === 3) continue;
    const d = await ch.command(NETFN.sensor, 0x2d, Uint8Array.of(full.sensorNumber), 'Get Sensor Reading', signal);
    const unavailable = d.length < 2 || (d[1]! & 0x20) !== 0;
    readings.push({
      name: full.name,
      kind: SENSOR_KIND[full.sensorType] ?? 'other',
      value: unavailable ? null : convertReading(full, d[0]!),
      unit: UNIT[full.baseUnit] ?? `unit ${full.baseUnit}`,
    });
  }
  return readings;
}
