import { readSensors, type SensorsResult } from '../../cli/bmc-actions.ts';
import { BmcCommand } from '../../cli/bmc-command.ts';
import { bmcFlags } from '../../cli/bmc-flags.ts';
import { renderSensors } from '../../cli/render-bmc.ts';

export default class BmcSensors extends BmcCommand<SensorsResult> {
  static override summary = 'Read the temperature, fan, power and voltage sensors of a machine through its BMC.';
  static override examples = ['<%= config.bin %> bmc sensors --driver ipmi --host 10.0.0.5 --user admin --password-file bmc.pw'];
  static override flags = bmcFlags;

  async run(): Promise<SensorsResult> {
    const { flags } = await this.parse(BmcSensors);
    const result = await this.useBmc(flags, (client, target) => readSensors(client, target));
    this.log(renderSensors(result.sensors));
    return result;
  }
}
