export type BootDevice = 'pxe' | 'disk' | 'cdrom' | 'bios-setup';
export type BootMode = 'uefi' | 'legacy';

/** The next-boot override: which device, for the next boot only or every boot, in which firmware mode. */
export interface BootOverride {
  device: BootDevice;
  persistent: boolean;
  mode: BootMode;
}

export interface BootDeviceGetter {
  /** The override in effect, or `null` when the BMC has none (normal boot order). */
  bootOverride(signal?: AbortSignal): Promise<BootOverride | null>;
}

export interface BootDeviceSetter {
  /** Sets the override; setting the one already in effect is harmless. */
  setBootOverride(override: BootOverride, signal?: AbortSignal): Promise<void>;
}
