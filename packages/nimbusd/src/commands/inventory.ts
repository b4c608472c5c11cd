import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.ts';
import { collectHostInventory, DEFAULT_PROBE_TIMEOUT_MS, renderHostInventory, type HostInventory } from '../inventory/index.ts';

export default class Inventory extends BaseCommand<HostInventory> {
  static override summary = "This host's hardware: CPU, memory, disks, NICs with their MACs and speeds, GPUs, system and baseboard identity.";
  static override description = 'Every probe runs at once under its own timeout; a probe that does not answer in time leaves its section empty and is named in the output.';
  static override examples = ['<%= config.bin %> inventory', '<%= config.bin %> inventory --json --probe-timeout 3000'];
  static override flags = {
    'probe-timeout': Flags.integer({
      summary: `Milliseconds each probe may take (default ${DEFAULT_PROBE_TIMEOUT_MS}).`,
      min: 1,
      max: 60_000,
      default: DEFAULT_PROBE_TIMEOUT_MS,
    }),
  };

  async run(): Promise<HostInventory> {
    const { flags } = await this.parse(Inventory);
    const inventory = await collectHostInventory({ timeoutMs: flags['probe-timeout'] });
    this.log(renderHostInventory(inventory));
    return inventory;
  }
}
