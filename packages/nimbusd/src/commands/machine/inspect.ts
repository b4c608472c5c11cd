import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.ts';
import { stateFlags } from '../../machines/flags.ts';
import { inspectMachine } from '../../machines/inspect-machine.ts';
import type { MachineView } from '../../machines/machines.ts';
import { resolveStateDir } from '../../machines/state-location.ts';
import type { Inventory } from '../../bmc/inventory.ts';

export default class MachineInspect extends BaseCommand<MachineView> {
  static override summary = "Inspect a machine out of band: read its inventory from the BMC and make it ready.";
  static override description =
    'For an enrolled machine or one in error. The inventory (system identity, CPUs, memory, disks, NICs) is kept with the machine; a failure leaves it in error with the reason and a hint.';
  static override examples = ['<%= config.bin %> machine inspect r1-u07', '<%= config.bin %> machine inspect r1-u07 --json'];
  static override args = { machine: Args.string({ description: 'The machine id or name.', required: true }) };
  static override flags = { ...stateFlags };

  async run(): Promise<MachineView> {
    const { args, flags } = await this.parse(MachineInspect);
    const machine = await inspectMachine(resolveStateDir({ config: flags.config, stateDir: flags['state-dir'] }), args.machine);
    const inventory = machine.inventory?.data as Inventory | undefined;
    this.log(`${machine.name}: ${machine.state}`);
    if (inventory) {
      const { system, cpus, memory, disks, nics } = inventory;
      this.log(`  system   ${[system.manufacturer, system.model, system.serial].filter(Boolean).join(' ') || 'unknown'}`);
      this.log(`  cpus     ${cpus.map((c) => `${c.model ?? 'cpu'}${c.cores ? ` (${c.cores} cores)` : ''}`).join(', ') || 'unknown'}`);
      this.log(`  memory   ${memory.totalGib === undefined ? 'unknown' : `${memory.totalGib} GiB`}`);
      this.log(`  disks    ${disks.map((d) => `${d.model ?? d.type ?? 'disk'}${d.sizeBytes ? ` ${(d.sizeBytes / 1e9).toFixed(0)} GB` : ''}`).join(', ') || 'none reported'}`);
      this.log(`  nics     ${nics.map((n) => `${n.mac}${n.speedMbps ? ` ${n.speedMbps} Mb/s` : ''}`).join(', ') || 'none reported'}`);
    }
    return machine;
  }
}
