import { BmcUnsupportedError } from '../../errors.ts';
import type { BootDevice, BootMode, BootOverride } from '../../boot-device.ts';

const TARGETS: Record<BootDevice, string> = { pxe: 'Pxe', disk: 'Hdd', cdrom: 'Cd', 'bios-setup': 'BiosSetup' };
const MODES: Record<BootMode, string> = { uefi: 'UEFI', legacy: 'Legacy' };

/** The `Boot` PATCH body for `override`, for a system whose current `Boot` object is `boot`. */
export function bootPatch(override: BootOverride, boot: Record<string, unknown>): Record<string, string> {
  const target = TARGETS[override.device];
  const allowed = boot['BootSourceOverrideTarget@Redfish.AllowableValues'];
  if (Array.isArray(allowed) && !allowed.includes(target)) {
    throw new BmcUnsupportedError(`boot device ${override.device}: the BMC allows only ${allowed.join(', ')}`);
  }
  const patch: Record<string, string> = {
    BootSourceOverrideTarget: target,
    BootSourceOverrideEnabled: override.persistent ? 'Continuous' : 'Once',
  };
  // Older services have no Mode property and refuse it; they boot the way their firmware is set.
  if ('BootSourceOverrideMode' in boot) patch['BootSourceOverrideMode'] = MODES[override.mode];
  return patch;
}

/** Reads the override in effect from a system's `Boot`; null when there is none. */
export function bootOverrideOf(boot: Record<string, unknown>): BootOverride | null {
  const enabled = boot['BootSourceOverrideEnabled'];
  const target = boot['BootSourceOverrideTarget'];
  if (enabled === 'Disabled' || enabled === undefined || target === 'None' || target === undefined) return null;
  const device = (Object.keys(TARGETS) as BootDevice[]).find((d) => TARGETS[d] === target);
  if (!device) throw new BmcUnsupportedError(`the BMC's boot override target ${String(target)} has no Nimbus boot device`);
  // A service without a Mode property boots in its firmware's mode; legacy is the older default.
  const mode: BootMode = boot['BootSourceOverrideMode'] === 'UEFI' ? 'uefi' : 'legacy';
  return { device, persistent: enabled === 'Continuous', mode };
}
