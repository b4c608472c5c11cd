import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { openBook } from '../../instances/cli-support.ts';
import { ConsoleUnsupportedError } from '../../instances/errors.ts';

export default class InstanceConsole extends BaseCommand<never> {
  static override summary = "An instance's serial console (not offered by providers' API yet).";
  static override args = { id: Args.string({ required: true, description: 'Instance id (or a unique prefix, or its name).' }) };

  async run(): Promise<never> {
    const { args } = await this.parse(InstanceConsole);
    const record = await openBook(this.paths).get(args.id);
    throw new ConsoleUnsupportedError(
      `provider "${record.provider.providerId}" offers no serial console through its API yet (nimbusd has no console method); log in with \`nimbusctl instance ssh ${record.id}\`, or ask the provider for console access`,
    );
  }
}
