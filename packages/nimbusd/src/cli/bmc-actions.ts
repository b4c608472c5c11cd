/** What each `nimbusd bmc` command does with a connected client, and the results it prints. */
import type { BootDevice, BootOverride } from '../bmc/boot-device.ts';
import type { BmcClient } from '../bmc/driver.ts';
import { BmcUnsupportedError } from '../bmc/errors.ts';
import type { Inventory } from '../bmc/inventory.ts';
import type { PowerAction, PowerState } from '../bmc/power.ts';
import type { SensorReading } from '../bmc/sensors.ts';

export const POWER_COMMANDS = ['status', 'on', 'off', 'soft-off', 'cycle', 'reset'] as const;
export type PowerCommand = (typeof POWER_COMMANDS)[number];
export const BOOT_DEVICES: readonly BootDevice[] = ['pxe', 'disk', 'cdrom', 'bios-setup'];

/** The BMC the command spoke to, in every result. */
export interface BmcTarget {
  driver: 'ipmi' | 'redfish';
  host: string;
}

export interface PowerResult extends BmcTarget {
  /** What was asked: `status` reads only. */
  action: PowerCommand;
  /** The state the BMC reports after the action. */
  state: PowerState;
}

export interface BootDeviceResult extends BmcTarget {
  override: BootOverride;
}

export interface InventoryResult extends BmcTarget {
  inventory: Inventory;
}

export interface SensorsResult extends BmcTarget {
  sensors: SensorReading[];
}

/** The client's method for a capability, or a `BmcUnsupportedError` naming what is missing. */
function capability<K extends keyof BmcClient>(client: BmcClient, target: BmcTarget, method: K, what: string): NonNullable<BmcClient[K]> {
  const fn = client[method];
  if (typeof fn !== 'function') throw new BmcUnsupportedError(`the ${target.driver} driver cannot ${what}`);
  return fn.bind(client) as NonNullable<BmcClient[K]>;
}

/** Runs a power action (or only reads, for `status`) and reads the state back. */
export async function runPower(client: BmcClient, target: BmcTarget, action: PowerCommand): Promise<PowerResult> {
  const read = capability(client, target, 'powerState', 'read the power state');
  if (action !== 'status') await capability(client, target, 'setPower', 'change power')(action satisfies PowerAction);
  return { ...target, action, state: await read() };
}

export async function setBootDevice(client: BmcClient, target: BmcTarget, override: BootOverride): Promise<BootDeviceResult> {
  await capability(client, target, 'setBootOverride', 'set the boot device')(override);
  return { ...target, override };
}

export async function readInventory(client: BmcClient, target: BmcTarget): Promise<InventoryResult> {
  return { ...target, inventory: await capability(client, target, 'inventory', 'read the inventory')() };
}

export async function readSensors(client: BmcClient, target: BmcTarget): Promise<SensorsResult> {
  return { ...target, sensors: await capability(client, target, 'sensors', 'read sensors')() };
}
