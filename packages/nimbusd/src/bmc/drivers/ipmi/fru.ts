/**
 * FRU inventory (Platform Management FRU Information Storage Definition 1.0): read a FRU
 * device with Get FRU Inventory Area Info / Read FRU Data and decode its board and product
 * info areas, which carry the machine's manufacturer, model and serial number.
 */
import { BmcProtocolError } from '../../errors.ts';
import type { CommandChannel } from './commands.ts';
import { NETFN } from './wire.ts';

export interface FruBoard {
  manufacturer?: string;
  product?: string;
  serial?: string;
  partNumber?: string;
}

export interface FruProduct {
  manufacturer?: string;
  name?: string;
  partNumber?: string;
  version?: string;
  serial?: string;
  assetTag?: string;
}

export interface FruInfo {
  board?: FruBoard;
  product?: FruProduct;
}

const WHAT = 'FRU data';
const HEADER_LENGTH = 8;
const END_OF_FIELDS = 0xc1;

function fail(message: string): never {
  throw new BmcProtocolError(message, { target: WHAT });
}

function zeroSum(bytes: Uint8Array): boolean {
  return (bytes.reduce((a, x) => a + x, 0) & 0xff) === 0;
}

/** 6-bit packed ASCII: four characters in three bytes, least significant bits first, each + 0x20. */
function sixBitAscii(bytes: Uint8Array): string {
  let bits = 0;
  let count = 0;
  let out = '';
  for (const byte of bytes) {
    bits |= byte << count;
    count += 8;
    while (count >= 6) {
      out += String.fromCharCode((bits & 0x3f) + 0x20);
      bits >>= 6;
      count -= 6;
    }
  }
  return out;
}

const BCD_PLUS = '0123456789 -.???';

/** Decodes one type/length field's value by its type (bits 7:6 of the type/length byte). */
function fieldText(type: number, bytes: Uint8Array): string {
  switch (type) {
    case 0: return Buffer.from(bytes).toString('hex'); // binary: shown as hex, as ipmitool does
    case 1: return [...bytes].map((b) => BCD_PLUS[b >> 4]! + BCD_PLUS[b & 0x0f]!).join('');
    case 2: return sixBitAscii(bytes);
    default: return Buffer.from(bytes).toString('latin1');
  }
}

/**
 * Reads the type/length fields of an area from `start` up to the end marker; empty fields
 * come back as undefined, trailing padding and NULs are dropped.
 */
function readFields(area: Buffer, start: number, name: string, areaOffset: number): (string | undefined)[] {
  const fields: (string | undefined)[] = [];
  for (let i = start; ; ) {
    if (i >= area.length) fail(`${name} area at byte ${areaOffset} has no end-of-fields marker`);
    const tl = area[i]!;
    if (tl === END_OF_FIELDS) return fields;
    const length = tl & 0x3f;
    if (i + 1 + length > area.length) fail(`${name} area at byte ${areaOffset}: field at byte ${areaOffset + i} runs past the area`);
    const text = fieldText(tl >> 6, area.subarray(i + 1, i + 1 + length)).replace(/[\0 ]+$/, '');
    fields.push(text === '' ? undefined : text);
    i += 1 + length;
  }
}

/** The area an offset byte of the common header points to, checked; undefined when absent. */
function area(data: Buffer, headerIndex: number, name: string): Buffer | undefined {
  const offset = data[headerIndex]! * 8;
  if (offset === 0) return undefined;
  if (offset + 2 > data.length) fail(`${name} area at byte ${offset} lies past the ${data.length} bytes of FRU data`);
  const length = data[offset + 1]! * 8;
  if (length === 0 || offset + length > data.length) fail(`${name} area at byte ${offset} claims ${length} bytes, but the FRU data has ${data.length}`);
  const bytes = data.subarray(offset, offset + length);
  if ((bytes[0]! & 0x0f) !== 1) fail(`${name} area at byte ${offset} has format version ${bytes[0]! & 0x0f}, not 1`);
  if (!zeroSum(bytes)) fail(`${name} area at byte ${offset} fails its checksum`);
  return bytes;
}

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Decodes FRU data from its first byte: the common header, then the board and product areas. */
export function decodeFru(data: Buffer): FruInfo {
  if (data.length < HEADER_LENGTH) fail(`FRU data of ${data.length} bytes is shorter than its ${HEADER_LENGTH}-byte header`);
  const header = data.subarray(0, HEADER_LENGTH);
  if ((header[0]! & 0x0f) !== 1) fail(`FRU header has format version ${header[0]! & 0x0f}, not 1`);
  if (!zeroSum(header)) fail('FRU header fails its checksum');
  const info: FruInfo = {};
  const boardArea = area(data, 3, 'board');
  if (boardArea) {
    // version, length, language, 3 bytes of manufacturing date, then the fields
    const [manufacturer, product, serial, partNumber] = readFields(boardArea, 6, 'board', data[3]! * 8);
    info.board = compact({ manufacturer, product, serial, partNumber });
  }
  const productArea = area(data, 4, 'product');
  if (productArea) {
    const [manufacturer, name, partNumber, version, serial, assetTag] = readFields(productArea, 3, 'product', data[4]! * 8);
    info.product = compact({ manufacturer, name, partNumber, version, serial, assetTag });
  }
  return info;
}

/** Bytes per Read FRU Data: small enough for any BMC's message size (ipmitool starts near here too). */
const READ_CHUNK = 16;

async function readFruBytes(ch: CommandChannel, fruId: number, offset: number, count: number, wordAccess: boolean, signal?: AbortSignal): Promise<Buffer> {
  const what = 'Read FRU Data';
  const parts: Buffer[] = [];
  for (let at = offset; at < offset + count; ) {
    const want = Math.min(READ_CHUNK, offset + count - at);
    const unit = wordAccess ? 2 : 1;
    const o = Math.floor(at / unit);
    const d = await ch.command(NETFN.storage, 0x11, Uint8Array.of(fruId, o & 0xff, o >> 8, Math.ceil(want / unit)), what, signal);
    const got = (d[0] ?? 0) * unit;
    if (d.length < 1 + got || got === 0) throw new BmcProtocolError(`${what} at offset ${at} returned ${got} bytes in a reply of ${d.length}`, { target: what });
    parts.push(d.subarray(1, 1 + got));
    at += got;
  }
  return Buffer.concat(parts).subarray(0, count);
}

/**
 * Reads and decodes FRU device `fruId` (0 is the BMC's own, the machine's). Reads only the
 * header and the board and product areas, not the whole device.
 */
export async function readFru(ch: CommandChannel, fruId = 0, signal?: AbortSignal): Promise<FruInfo> {
  const what = 'Get FRU Inventory Area Info';
  const info = await ch.command(NETFN.storage, 0x10, Uint8Array.of(fruId), what, signal);
  if (info.length < 3) throw new BmcProtocolError(`${what} reply of ${info.length} bytes is shorter than 3`, { target: what });
  const size = info.readUInt16LE(0);
  const wordAccess = (info[2]! & 0x01) !== 0;
  if (size < HEADER_LENGTH) return {};
  const header = await readFruBytes(ch, fruId, 0, HEADER_LENGTH, wordAccess, signal);
  // Lay the areas we want into an image of the device at their own offsets, so decodeFru sees real offsets.
  const image = Buffer.alloc(size);
  header.copy(image);
  for (const index of [3, 4]) {
    const offset = header[index]! * 8;
    if (offset === 0 || offset + 2 > size) continue; // decodeFru reports an area past the end
    const head = await readFruBytes(ch, fruId, offset, 2, wordAccess, signal);
    const length = Math.min(head[1]! * 8, size - offset);
    (await readFruBytes(ch, fruId, offset, length, wordAccess, signal)).copy(image, offset);
  }
  return decodeFru(image);
}
