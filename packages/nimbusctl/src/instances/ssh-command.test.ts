import { describe, expect, it } from 'vitest';
import { shellLine, sshCommand } from './ssh-command.ts';

const record = { id: 'i-1', state: 'deployed' as const, address: '10.0.0.5', sshUser: 'debian', identity: '/home/u/.ssh/id_ed25519' };

describe('the ssh command of an instance', () => {
  it('logs in as the image user with the key, learning the host key into a known_hosts file of its own', () => {
    expect(sshCommand(record, '/state', ['uname', '-a']).args).toEqual([
      '-i', '/home/u/.ssh/id_ed25519', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', 'UserKnownHostsFile=/state/known_hosts/i-1', '-l', 'debian', '--', '10.0.0.5', 'uname', '-a',
    ]);
  });
  it('quotes what a shell would split', () => {
    expect(shellLine(sshCommand({ ...record, identity: "/home/o'neil/key" }, '/state', ['echo', 'a b']))).toContain(`-i '/home/o'\\''neil/key'`);
    expect(shellLine(sshCommand(record, '/state', ['echo', 'a b']))).toMatch(/ 10\.0\.0\.5 echo 'a b'$/);
  });
  it('says to wait when the instance has no address yet', () => {
    expect(() => sshCommand({ ...record, address: null, state: 'deploying' }, '/s')).toThrow(/no address yet \(it is deploying\); wait for it with `nimbusctl instance watch i-1`/);
  });
});
