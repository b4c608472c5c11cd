import { readInventory, type InventoryResult } from '../../cli/bmc-actions.ts';
import { BmcCommand } from '../../cli/bmc-command.ts';
import { bmcFlags } from '../../cli/bmc-flags.ts';
import { renderInventory } from '../../cli/render-bmc.ts';

export default class BmcInventory extends BmcCommand<InventoryResult> {
  static override summary = 'What the BMC knows of the machine: identity, CPUs, memory, disks, NICs with their MACs.';
  static override examples = ['<%= config.bin %> bmc inventory --driver redfish --host bmc7.example --user root --password-file bmc7.pw --json'];
  static override flags = bmcFlags;

  async run(): Promise<InventoryResult> {
    const { flags } = await this.parse(BmcInventory);
    const result = await this.useBmc(flags, (client, target) => readInventory(client, target));
    this.log(renderInventory(result.inventory));
    return result;
  }
}
