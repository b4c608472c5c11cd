import { Args } from '@oclif/core';
import { POWER_COMMANDS, runPower, type PowerResult } from '../../cli/bmc-actions.ts';
import { BmcCommand } from '../../cli/bmc-command.ts';
import { bmcFlags } from '../../cli/bmc-flags.ts';

export default class BmcPower extends BmcCommand<PowerResult> {
  static override summary = "Read or change a machine's power through its BMC.";
  static override description =
    'Prints the power state the BMC reports afterwards: `on` or `off` (or `unknown`). `on` of a machine that is on, and `off` of one that is off, send nothing. The password comes from --password-file or NIMBUS_BMC_PASSWORD, never from the command line.';
  static override examples = [
    'NIMBUS_BMC_PASSWORD=… <%= config.bin %> bmc power status --driver ipmi --host 10.0.0.5 --user admin',
    '<%= config.bin %> bmc power cycle --driver redfish --host bmc7.example --user root --password-file /etc/nimbus/bmc7.pw --json',
  ];
  static override args = {
    action: Args.string({ required: true, options: [...POWER_COMMANDS], description: 'status reads only; soft-off asks the OS to shut down.' }),
  };
  static override flags = bmcFlags;

  async run(): Promise<PowerResult> {
    const { args, flags } = await this.parse(BmcPower);
    const action = args.action as (typeof POWER_COMMANDS)[number];
    const result = await this.useBmc(flags, (client, target) => runPower(client, target, action));
    this.log(result.state);
    return result;
  }
}
