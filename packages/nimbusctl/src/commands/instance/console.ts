import { Args, Flags } from '@oclif/core';
import { runTerminalSession, type ConsoleOutcome } from '@nimbus/nimbusd/console-terminal';
import { BaseCommand } from '../../base-command.ts';
import { connector, identityFlag, openBook, sessionOptions, timeoutFlag } from '../../instances/cli-support.ts';
import { openInstance } from '../../instances/lookup.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../instances/targets.ts';

export interface InstanceConsoleResult extends ConsoleOutcome {
  id: string;
  providerId: string;
  /** How the provider reaches the console: "IPMI SOL". */
  via: string;
}

export default class InstanceConsole extends BaseCommand<InstanceConsoleResult> {
  static override summary = "An instance's serial console, through its provider (IPMI Serial over LAN).";
  static override description =
    'On a terminal, keys go to the machine as typed (Ctrl-C included); type ~. at the start of a line to leave, ~? for the other escapes. ' +
    'From a pipe, input is sent as it comes and the console stays open until nimbusctl is interrupted (Ctrl-C, SIGTERM). ' +
    'With --json the output is kept (its last MiB) and printed in one final object. Leaving closes the console; the machine keeps running.';
  static override examples = [
    '<%= config.bin %> instance console web-1',
    '<%= config.bin %> instance console web-1 --force',
    'timeout 60 <%= config.bin %> instance console web-1 < /dev/null > boot.log',
  ];
  static override args = { id: Args.string({ required: true, description: 'Instance id (or a unique prefix, or its name).' }) };
  static override flags = {
    identity: identityFlag,
    timeout: timeoutFlag(DEFAULT_CONNECT_TIMEOUT_MS),
    force: Flags.boolean({ description: 'Take the console over when another session has it open (that session is closed).' }),
  };

  async run(): Promise<InstanceConsoleResult> {
    const { args, flags } = await this.parse(InstanceConsole);
    const { record, session } = await openInstance(openBook(this.paths), connector(), args.id, sessionOptions(flags));
    try {
      const remote = await session.console(record.id, flags.force);
      const outcome = await runTerminalSession(remote, {
        label: record.name ?? record.id,
        via: `${remote.via} at provider "${record.provider.providerId}"`,
        program: 'nimbusctl',
        json: this.jsonEnabled(),
        notice: (text) => this.logToStderr(text),
      });
      return { id: record.id, providerId: record.provider.providerId, via: remote.via, ...outcome };
    } finally {
      session.close();
    }
  }
}
