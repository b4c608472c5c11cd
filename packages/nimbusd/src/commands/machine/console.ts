import { Args } from '@oclif/core';
import type { SerialConsole } from '../../bmc/console.ts';
import { BmcBusyError, BmcUnsupportedError } from '../../bmc/errors.ts';
import { BaseCommand } from '../../cli/base-command.ts';
import { attachable, runTerminalSession, type ConsoleOutcome } from '../../console/index.ts';
import { stateFlags } from '../../machines/flags.ts';
import { machineBmcConnector, withMachineBmc } from '../../machines/machine-bmc.ts';
import { cliActor, findMachine, openStore } from '../../machines/machines.ts';
import { resolveStateDir } from '../../machines/state-location.ts';
import type { Store } from '../../state/index.ts';
import { CONSOLE_DESCRIPTION, forceFlag } from '../bmc/console.ts';

export interface MachineConsoleResult extends ConsoleOutcome {
  machine: string;
  via: string;
}

export default class MachineConsole extends BaseCommand<MachineConsoleResult> {
  static override summary = "An enrolled machine's serial console, through the BMC settings nimbusd keeps for it.";
  static override description = `${CONSOLE_DESCRIPTION} Each opening (and each refusal) is recorded in the audit log.`;
  static override examples = ['<%= config.bin %> machine console r1-u07', '<%= config.bin %> machine console r1-u07 --force'];
  static override args = { machine: Args.string({ description: 'The machine id or name.', required: true }) };
  static override flags = { ...stateFlags, force: forceFlag };

  async run(): Promise<MachineConsoleResult> {
    const { args, flags } = await this.parse(MachineConsole);
    const stateDir = resolveStateDir({ config: flags.config, stateDir: flags['state-dir'] });
    const withStore = <T>(use: (store: Store) => T): T => {
      const store = openStore(stateDir);
      try {
        return use(store);
      } finally {
        store.close();
      }
    };
    const machine = withStore((store) => findMachine(store, args.machine));
    const audit = (result: string, detail: Record<string, unknown>): void =>
      void withStore((store) => store.recordAudit({ actor: cliActor(), action: 'machine.console', target: machine.id, result, detail }));
    return withMachineBmc(machineBmcConnector(), machine, async (client) => {
      if (!client.openConsole) throw new BmcUnsupportedError(`machine ${machine.name}'s BMC (${machine.bmc.driver}) gives no serial console nimbusd can open`);
      let console: SerialConsole;
      try {
        console = await client.openConsole({ force: flags.force });
      } catch (err) {
        audit(err instanceof BmcBusyError ? 'busy' : 'failed', { forced: flags.force, code: (err as { code?: unknown }).code ?? 'INTERNAL' });
        throw err;
      }
      audit('ok', { forced: flags.force });
      const outcome = await runTerminalSession(attachable(console), { label: machine.name, via: console.via, program: 'nimbusd', json: this.jsonEnabled(), notice: (text) => this.logToStderr(text) });
      return { machine: machine.name, via: console.via, ...outcome };
    });
  }
}
