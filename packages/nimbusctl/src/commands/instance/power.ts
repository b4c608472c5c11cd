import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { connector, identityFlag, openBook, sessionOptions, timeoutFlag } from '../../instances/cli-support.ts';
import { powerInstance, type PowerResult } from '../../instances/power.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../instances/targets.ts';

export default class InstancePower extends BaseCommand<PowerResult> {
  static override summary = "Power an instance's machine on or off through its BMC.";
  static override description = '`off` cuts the power at once; `soft-off` asks the OS to shut down (ACPI).';
  static override examples = ['<%= config.bin %> instance power off web-1', '<%= config.bin %> instance power on web-1'];
  static override args = {
    action: Args.string({ required: true, options: ['on', 'off', 'soft-off'], description: 'on, off or soft-off.' }),
    id: Args.string({ required: true, description: 'Instance id (or a unique prefix, or its name).' }),
  };
  static override flags = { identity: identityFlag, timeout: timeoutFlag(DEFAULT_CONNECT_TIMEOUT_MS) };

  async run(): Promise<PowerResult> {
    const { args, flags } = await this.parse(InstancePower);
    const result = await powerInstance(openBook(this.paths), connector(), args.id, args.action as 'on' | 'off' | 'soft-off', sessionOptions(flags));
    this.log(`instance ${result.id}: power ${result.action}`);
    return result;
  }
}
