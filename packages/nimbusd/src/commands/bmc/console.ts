import { Flags } from '@oclif/core';
import { BmcUnsupportedError } from '../../bmc/errors.ts';
import { BmcCommand } from '../../cli/bmc-command.ts';
import { bmcFlags } from '../../cli/bmc-flags.ts';
import { attachable, runTerminalSession, type ConsoleOutcome } from '../../console/index.ts';

export interface BmcConsoleResult extends ConsoleOutcome {
  host: string;
  via: string;
}

export const CONSOLE_DESCRIPTION =
  'On a terminal, keys go to the machine as typed (Ctrl-C included); type ~. at the start of a line to leave, ~? for the other escapes. ' +
  'From a pipe, input is sent as it comes and the console stays open until nimbusd is interrupted. With --json the output is kept (its last MiB) and printed in one final object. ' +
  'A console someone else has open (a tenant through `nimbusd serve`, or ipmitool) is refused unless --force, which closes theirs.';

export const forceFlag = Flags.boolean({ description: 'Take the console over when another session has it open (that session is closed).' });

export default class BmcConsole extends BmcCommand<BmcConsoleResult> {
  static override summary = "A machine's serial console, straight from its BMC (IPMI Serial over LAN), as `ipmitool sol activate`.";
  static override description = CONSOLE_DESCRIPTION;
  static override examples = [
    'NIMBUS_BMC_PASSWORD=… <%= config.bin %> bmc console --driver ipmi --host 10.0.0.5 --user admin',
    'timeout 60 <%= config.bin %> bmc console --driver ipmi --host 10.0.0.5 --user admin --password-file bmc.pw < /dev/null > boot.log',
  ];
  static override flags = { ...bmcFlags, force: forceFlag };

  async run(): Promise<BmcConsoleResult> {
    const { flags } = await this.parse(BmcConsole);
    return this.useBmc(flags, async (client, target) => {
      if (!client.openConsole) throw new BmcUnsupportedError(`the ${target.driver} driver gives no serial console (Redfish has no standard one; use the BMC's own SSH or web console)`);
      const console = await client.openConsole({ force: flags.force });
      const outcome = await runTerminalSession(attachable(console), { label: target.host, via: console.via, program: 'nimbusd', json: this.jsonEnabled(), notice: (text) => this.logToStderr(text) });
      return { host: target.host, via: console.via, ...outcome };
    });
  }
}
