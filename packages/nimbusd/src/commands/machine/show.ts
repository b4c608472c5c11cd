import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.ts';
import { stateFlags } from '../../machines/flags.ts';
import { showMachine, type MachineView } from '../../machines/machines.ts';
import { resolveStateDir } from '../../machines/state-location.ts';

export default class MachineShow extends BaseCommand<MachineView> {
  static override summary = 'Show one machine, by id or name.';
  static override examples = ['<%= config.bin %> machine show r1-u07', '<%= config.bin %> machine show m-0f3c… --json'];
  static override args = { machine: Args.string({ description: 'The machine id or name.', required: true }) };
  static override flags = { ...stateFlags };

  async run(): Promise<MachineView> {
    const { args, flags } = await this.parse(MachineShow);
    const m = showMachine(resolveStateDir({ config: flags.config, stateDir: flags['state-dir'] }), args.machine);
    const lines: Array<[string, string]> = [
      ['name', m.name],
      ['id', m.id],
      ['state', m.state],
      ['class', m.class],
      ['bmc', `${m.bmc.driver} ${m.bmc.address}`],
      ['bmc password file', m.bmc.credentialsFile],
      ['boot macs', m.bootMacs.join(', ')],
      ['enrolled', m.createdAt],
      ['updated', m.updatedAt],
    ];
    if (m.lastError) lines.push(['last error', `${m.lastError.message}${m.lastError.hint ? ` (hint: ${m.lastError.hint})` : ''} at ${m.lastError.at}`]);
    for (const [k, v] of lines) this.log(`${`${k}:`.padEnd(19)}${v}`);
    return m;
  }
}
