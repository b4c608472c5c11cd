/**
 * The IPMI commands the driver uses, as encoders and decoders over a session's
 * `command()`: Get Device ID, Get Chassis Status, Chassis Control, and the boot
 * flags parameter (5) of Set/Get System Boot Options.
 */
import type { BootDevice, BootOverride } from '../../boot-device.ts';
import { BmcProtocolError } from '../../errors.ts';
import { NETFN } from './wire.ts';

/** What a command needs from a session; lets the commands be tested with a fake. */
export interface CommandChannel {
  command(netFn: number, cmd: number, data: Uint8Array, what: string, signal?: AbortSignal): Promise<Buffer>;
}

function need(data: Buffer, length: number, what: string): void {
  if (data.length < length) throw new BmcProtocolError(`${what} reply of ${data.length} bytes is shorter than ${length}`, { target: what });
}

export interface DeviceId {
  deviceId: number;
  deviceRevision: number;
  firmwareVersion: string;
  ipmiVersion: string;
  manufacturerId: number;
  productId: number;
  /** Additional device support bit 3: the BMC has FRU inventory. */
  supportsFru: boolean;
}

export async function getDeviceId(ch: CommandChannel, signal?: AbortSignal): Promise<DeviceId> {
  const what = 'Get Device ID';
  const d = await ch.command(NETFN.app, 0x01, new Uint8Array(0), what, signal);
  need(d, 11, what);
  const minor = d[3]!; // BCD
  return {
    deviceId: d[0]!,
    deviceRevision: d[1]! & 0x0f,
    firmwareVersion: `${d[2]! & 0x7f}.${(minor >> 4).toString()}${(minor & 0x0f).toString()}`,
    ipmiVersion: `${d[4]! & 0x0f}.${d[4]! >> 4}`,
    manufacturerId: d[6]! | (d[7]! << 8) | ((d[8]! & 0x0f) << 16),
    productId: d.readUInt16LE(9),
    supportsFru: (d[5]! & 0x08) !== 0,
  };
}

export interface ChassisStatus {
  powerOn: boolean;
  powerFault: boolean;
  powerOverload: boolean;
}

export async function getChassisStatus(ch: CommandChannel, signal?: AbortSignal): Promise<ChassisStatus> {
  const what = 'Get Chassis Status';
  const d = await ch.command(NETFN.chassis, 0x01, new Uint8Array(0), what, signal);
  need(d, 3, what);
  const p = d[0]!;
  return { powerOn: (p & 0x01) !== 0, powerOverload: (p & 0x02) !== 0, powerFault: (p & 0x08) !== 0 };
}

/** Chassis Control request codes (IPMI 2.0 section 28.3). */
export const CHASSIS_CONTROL = { off: 0x00, on: 0x01, cycle: 0x02, reset: 0x03, softOff: 0x05 } as const;
export type ChassisControl = (typeof CHASSIS_CONTROL)[keyof typeof CHASSIS_CONTROL];

export async function chassisControl(ch: CommandChannel, control: ChassisControl, signal?: AbortSignal): Promise<void> {
  await ch.command(NETFN.chassis, 0x02, Uint8Array.of(control), 'Chassis Control', signal);
}

/** Boot device selector, bits 5:2 of the second boot flags byte (IPMI 2.0 table 28-14). */
const DEVICE_SELECTOR: Readonly<Record<BootDevice, number>> = { pxe: 0x1, disk: 0x2, cdrom: 0x5, 'bios-setup': 0x6 };
const SELECTOR_DEVICE = new Map<number, BootDevice>(Object.entries(DEVICE_SELECTOR).map(([k, v]) => [v, k as BootDevice]));

const FLAG_VALID = 0x80;
const FLAG_PERSISTENT = 0x40;
const FLAG_EFI = 0x20;

export function encodeBootFlags(o: BootOverride): Uint8Array {
  return Uint8Array.of(FLAG_VALID | (o.persistent ? FLAG_PERSISTENT : 0) | (o.mode === 'uefi' ? FLAG_EFI : 0), DEVICE_SELECTOR[o.device] << 2, 0, 0, 0);
}

/** Reads boot flags; no valid bit or "no override" selector means no override. */
export function decodeBootFlags(flags: Uint8Array): BootOverride | null {
  if (flags.length < 2) throw new BmcProtocolError(`boot flags of ${flags.length} bytes are truncated`, { target: 'Get System Boot Options' });
  if ((flags[0]! & FLAG_VALID) === 0) return null;
  const selector = (flags[1]! >> 2) & 0x0f;
  if (selector === 0) return null;
  const device = SELECTOR_DEVICE.get(selector);
  if (!device) throw new BmcProtocolError(`boot device selector 0x${selector.toString(16)} is not one Nimbus knows`, { target: 'Get System Boot Options' });
  return { device, persistent: (flags[0]! & FLAG_PERSISTENT) !== 0, mode: (flags[0]! & FLAG_EFI) !== 0 ? 'uefi' : 'legacy' };
}

const BOOT_FLAGS_PARAM = 5;

export async function setBootFlags(ch: CommandChannel, o: BootOverride, signal?: AbortSignal): Promise<void> {
  await ch.command(NETFN.chassis, 0x08, Uint8Array.of(BOOT_FLAGS_PARAM, ...encodeBootFlags(o)), 'Set System Boot Options', signal);
}

export async function getBootFlags(ch: CommandChannel, signal?: AbortSignal): Promise<BootOverride | null> {
  const what = 'Get System Boot Options';
  const d = await ch.command(NETFN.chassis, 0x09, Uint8Array.of(BOOT_FLAGS_PARAM, 0, 0), what, signal);
  need(d, 4, what);
  if ((d[1]! & 0x7f) !== BOOT_FLAGS_PARAM) throw new BmcProtocolError(`${what} answered parameter ${d[1]! & 0x7f}, not ${BOOT_FLAGS_PARAM}`, { target: what });
  return decodeBootFlags(d.subarray(2));
}
