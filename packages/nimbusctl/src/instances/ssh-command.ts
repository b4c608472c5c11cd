/**
 * `instance ssh`: the OpenSSH command line that logs in to an instance as its image's
 * user with the user's key. The instance's host key is learnt on first connection and
 * kept in a known_hosts file of its own, so a reused address never trips another
 * instance's entry.
 */
import { join } from 'node:path';
import { InvalidRequestError } from '@nimbus/core';
import type { InstanceRecord } from './book.ts';

/** `$XDG_STATE_HOME/nimbus/known_hosts/<instance id>` */
export function knownHostsFile(stateDir: string, instanceId: string): string {
  return join(stateDir, 'known_hosts', instanceId);
}

export interface SshCommand {
  program: 'ssh';
  args: string[];
}

export function sshCommand(record: Pick<InstanceRecord, 'id' | 'state' | 'address' | 'sshUser' | 'identity'>, stateDir: string, command: readonly string[] = []): SshCommand {
  if (record.address === null) {
    throw new InvalidRequestError(`instance ${record.id} has no address yet (it is ${record.state}); wait for it with \`nimbusctl instance watch ${record.id}\``);
  }
  const user = record.sshUser ?? 'root';
  return {
    program: 'ssh',
    args: [
      '-i',
      record.identity,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      `UserKnownHostsFile=${knownHostsFile(stateDir, record.id)}`,
      '-l',
      user,
      // After `--` ssh parses no options, not even ones in the remote command.
      '--',
      record.address,
      ...command,
    ],
  };
}

/** The command as a user would type it in a POSIX shell. */
export function shellLine(cmd: SshCommand): string {
  return [cmd.program, ...cmd.args].map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
