/** OpenSSH's `ssh` as an API client in tests: a key file, no known_hosts, no prompts. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempStateDir } from '../../state/testdata/fixtures.ts';

export const hasOpenSsh = (): boolean => spawnSync('ssh', ['-V']).status === 0;

/** Runs `ssh … 127.0.0.1 <command>` on `port` as the holder of `privateKey`, with pipes. */
export function spawnOpenSsh(privateKey: string, port: number, command: string): ChildProcessWithoutNullStreams {
  const keyFile = join(tempStateDir(), 'id_ed25519');
  writeFileSync(keyFile, privateKey, { mode: 0o600 });
  const options = ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'BatchMode=yes', 'IdentitiesOnly=yes', 'LogLevel=ERROR'].flatMap((o) => ['-o', o]);
  return spawn('ssh', ['-i', keyFile, '-p', String(port), ...options, '-T', '127.0.0.1', command], { stdio: ['pipe', 'pipe', 'pipe'] });
}
