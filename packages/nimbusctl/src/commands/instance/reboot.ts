import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { connector, identityFlag, openBook, sessionOptions, timeoutFlag } from '../../instances/cli-support.ts';
import { powerInstance, type PowerResult } from '../../instances/power.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../instances/targets.ts';

export default class InstanceReboot extends BaseCommand<PowerResult> {
  static override summary = "Reboot an instance hard, through its machine's BMC (a reset: no clean shutdown).";
  static override args = { id: Args.string({ required: true, description: 'Instance id (or a unique prefix, or its name).' }) };
  static override flags = { identity: identityFlag, timeout: timeoutFlag(DEFAULT_CONNECT_TIMEOUT_MS) };

  async run(): Promise<PowerResult> {
    const { args, flags } = await this.parse(InstanceReboot);
    const result = await powerInstance(openBook(this.paths), connector(), args.id, 'reset', sessionOptions(flags));
    this.log(`instance ${result.id} reset`);
    return result;
  }
}
