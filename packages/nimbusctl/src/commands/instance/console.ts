import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { connector, identityFlag, openBook, sessionOptions, timeoutFlag } from '../../instances/cli-support.ts';
import { attachConsole, type ConsoleOutcome } from '@nimbus/nimbusd/console-terminal';
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
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const remote = await session.console(record.id, flags.force);
      const interactive = process.stdin.isTTY === true && !this.jsonEnabled();
      const label = record.name ?? record.id;
      if (process.stderr.isTTY) {
        this.logToStderr(`Connected to the console of ${label} (${remote.via} at provider "${record.provider.providerId}"). ${interactive ? 'Type ~. to leave, ~? for help.' : 'Interrupt nimbusctl to leave.'}`);
      }
      const outcome = await attachConsole(
        remote,
        { input: process.stdin, output: process.stdout, notice: (text) => process.stderr.write(`${text}\n`), interactive, capture: this.jsonEnabled() },
        stop.signal,
      );
      if (outcome.outcome === 'closed') {
        this.logToStderr(`\r\nThe console of ${label} closed: ${(outcome.reason ?? '').replace(/^console closed: /, '')}`);
        process.exitCode = 1;
      } else if (process.stderr.isTTY) {
        this.logToStderr(`\r\nLeft the console of ${label}; the machine keeps running.`);
      }
      return { id: record.id, providerId: record.provider.providerId, via: remote.via, ...outcome };
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      session.close();
    }
  }
}
