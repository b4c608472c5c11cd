import { describe, expect, it } from 'vitest';
import { BmcUnsupportedError } from '../../errors.ts';
import { bootOverrideOf, bootPatch } from './boot.ts';

const WITH_MODE = { BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideMode: 'UEFI', 'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd', 'Cd'] };
const NO_MODE = { BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled' };

describe('bootPatch', () => {
  it('maps a one-time PXE override in UEFI mode', () => {
    expect(bootPatch({ device: 'pxe', persistent: false, mode: 'uefi' }, WITH_MODE)).toEqual({ BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: 'UEFI' });
  });
  it('leaves Mode out for a service without the property', () => {
    expect(bootPatch({ device: 'disk', persistent: true, mode: 'legacy' }, NO_MODE)).toEqual({ BootSourceOverrideTarget: 'Hdd', BootSourceOverrideEnabled: 'Continuous' });
  });
  it('refuses a device the BMC does not list', () => {
    expect(() => bootPatch({ device: 'bios-setup', persistent: false, mode: 'uefi' }, WITH_MODE)).toThrow(BmcUnsupportedError);
  });
});

describe('bootOverrideOf', () => {
  it('reads no override when it is disabled or None', () => {
    expect(bootOverrideOf(NO_MODE)).toBeNull();
    expect(bootOverrideOf({ BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Once' })).toBeNull();
  });
  it('reads an override back', () => {
    expect(bootOverrideOf({ ...WITH_MODE, BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Continuous' })).toEqual({ device: 'cdrom', persistent: true, mode: 'uefi' });
  });
  it('refuses a target Nimbus has no name for', () => {
    expect(() => bootOverrideOf({ BootSourceOverrideTarget: 'Usb', BootSourceOverrideEnabled: 'Once' })).toThrow(/Usb/);
  });
});
