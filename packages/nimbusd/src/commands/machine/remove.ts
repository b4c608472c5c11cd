import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.ts';
import { stateFlags } from '../../machines/flags.ts';
import { removeMachine, type MachineView } from '../../machines/machines.ts';
import { resolveStateDir } from '../../machines/state-location.ts';

export default class MachineRemove extends BaseCommand<MachineView> {
  static override summary = 'Remove a machine nobody holds, by id or name.';
  static override description = 'Refused while the machine is allocated to an instance (allocated, deploying, deployed or releasing): release the instance first.';
  static override examples = ['<%= config.bin %> machine remove r1-u07'];
  static override args = { machine: Args.string({ description: 'The machine id or name.', required: true }) };
  static override flags = { ...stateFlags };

  async run(): Promise<MachineView> {
    const { args, flags } = await this.parse(MachineRemove);
    const machine = removeMachine(resolveStateDir({ config: flags.config, stateDir: flags['state-dir'] }), args.machine);
    this.log(`removed ${machine.name} (${machine.id})`);
    return machine;
  }
}
