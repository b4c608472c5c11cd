import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import type { InstanceRecord } from '../../instances/book.ts';
import { connector, identityFlag, openBook, sessionOptions, timeoutFlag } from '../../instances/cli-support.ts';
import { ProviderUnreachableError } from '../../instances/errors.ts';
import { openInstance } from '../../instances/lookup.ts';
import { knownHostsFile, shellLine, sshCommand, type SshCommand } from '../../instances/ssh-command.ts';
import { DEFAULT_PROBE_TIMEOUT_MS } from '../../instances/targets.ts';

export interface InstanceSshResult {
  id: string;
  command: SshCommand;
  /** ssh's exit status; null with --print. */
  exitStatus: number | null;
}

export default class InstanceSsh extends BaseCommand<InstanceSshResult> {
  static override summary = "Log in to an instance with OpenSSH's ssh, as its image's user, with your key.";
  static override description =
    "Everything after `--` is run on the instance. The instance's host key is learnt on the first login and kept in a known_hosts file of its own under nimbusctl's state folder. Exits with ssh's exit status.";
  static override examples = ['<%= config.bin %> instance ssh web-1', '<%= config.bin %> instance ssh web-1 -- uname -a', '<%= config.bin %> instance ssh web-1 --print'];
  static override strict = false;
  static override args = { id: Args.string({ required: true, description: 'Instance id (or a unique prefix, or its name).' }) };
  static override flags = {
    identity: identityFlag,
    print: Flags.boolean({ description: 'Print the ssh command instead of running it.' }),
    timeout: timeoutFlag(DEFAULT_PROBE_TIMEOUT_MS),
  };

  async run(): Promise<InstanceSshResult> {
    const { args, flags, argv } = await this.parse(InstanceSsh);
    const command = (argv as string[]).slice(1);
    const book = openBook(this.paths);
    let record: InstanceRecord;
    try {
      const live = await openInstance(book, connector(), args.id, sessionOptions(flags));
      live.session.close();
      record = live.record;
    } catch (err) {
      if (!(err instanceof ProviderUnreachableError)) throw err;
      this.note(`${err.message}; using the address last seen`);
      record = await book.get(args.id);
    }
    const cmd = sshCommand({ ...record, ...(flags.identity === undefined ? {} : { identity: flags.identity }) }, this.paths.stateDir, command);
    if (flags.print) {
      this.log(shellLine(cmd));
      return { id: record.id, command: cmd, exitStatus: null };
    }
    await mkdir(dirname(knownHostsFile(this.paths.stateDir, record.id)), { recursive: true, mode: 0o700 });
    const exitStatus = await new Promise<number>((resolve, reject) => {
      const child = spawn(cmd.program, cmd.args, { stdio: 'inherit' });
      child.once('error', (err) => reject(err));
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 255)));
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') this.error('OpenSSH\'s ssh is not installed (apt-get install openssh-client)', { exit: 1 });
      throw err;
    });
    process.exitCode = exitStatus;
    return { id: record.id, command: cmd, exitStatus };
  }
}
