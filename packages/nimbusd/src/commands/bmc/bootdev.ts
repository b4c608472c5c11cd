import { Args, Flags } from '@oclif/core';
import type { BootDevice } from '../../bmc/boot-device.ts';
import { BOOT_DEVICES, setBootDevice, type BootDeviceResult } from '../../cli/bmc-actions.ts';
import { BmcCommand } from '../../cli/bmc-command.ts';
import { bmcFlags } from '../../cli/bmc-flags.ts';
import { renderBootOverride } from '../../cli/render-bmc.ts';

export default class BmcBootdev extends BmcCommand<BootDeviceResult> {
  static override summary = 'Set the device a machine boots from, for the next boot or for every boot.';
  static override description = 'Without --persistent the override holds for the next boot only; without --uefi the firmware boots in legacy (BIOS) mode.';
  static override examples = ['<%= config.bin %> bmc bootdev pxe --driver ipmi --host 10.0.0.5 --user admin --password-file bmc.pw'];
  static override args = {
    device: Args.string({ required: true, options: [...BOOT_DEVICES], description: 'Where to boot from.' }),
  };
  static override flags = {
    ...bmcFlags,
    persistent: Flags.boolean({ default: false, description: 'Keep the override for every boot, not only the next one.' }),
    uefi: Flags.boolean({ default: false, description: 'Boot in UEFI mode rather than legacy BIOS.' }),
  };

  async run(): Promise<BootDeviceResult> {
    const { args, flags } = await this.parse(BmcBootdev);
    const override = { device: args.device as BootDevice, persistent: flags.persistent, mode: flags.uefi ? ('uefi' as const) : ('legacy' as const) };
    const result = await this.useBmc(flags, (client, target) => setBootDevice(client, target, override));
    this.log(renderBootOverride(result.override));
    return result;
  }
}
