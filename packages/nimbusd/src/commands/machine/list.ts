import { Flags } from '@oclif/core';
import { MACHINE_STATES, renderTable } from '@nimbus/core';
import { BaseCommand } from '../../cli/base-command.ts';
import { stateFlags } from '../../machines/flags.ts';
import { listMachines, type MachineView } from '../../machines/machines.ts';
import { resolveStateDir } from '../../machines/state-location.ts';

export interface MachineListResult {
  machines: MachineView[];
}

export default class MachineList extends BaseCommand<MachineListResult> {
  static override summary = 'List the enrolled machines, by name.';
  static override examples = ['<%= config.bin %> machine list', '<%= config.bin %> machine list --state ready --json'];
  static override flags = {
    ...stateFlags,
    state: Flags.option({ options: MACHINE_STATES, description: 'Only machines in this state.' })(),
  };

  async run(): Promise<MachineListResult> {
    const { flags } = await this.parse(MachineList);
    const stateDir = resolveStateDir({ config: flags.config, stateDir: flags['state-dir'] });
    const machines = listMachines(stateDir, flags.state === undefined ? {} : { state: flags.state });
    if (!this.jsonEnabled()) {
      if (machines.length === 0) this.logToStderr('no machines');
      else this.log(renderTable(['NAME', 'ID', 'STATE', 'CLASS', 'BMC', 'BOOT MACS'], machines.map((m) => [m.name, m.id, m.state, m.class, `${m.bmc.driver} ${m.bmc.address}`, m.bootMacs.join(',')])));
    }
    return { machines };
  }
}
