/**
 * Runs pieces of the ramdisk agent's shell library (ramdisk/lib/*.sh) on the host, under the
 * same busybox-static as in the ramdisk: PATH holds only busybox applets, so `wget`, `sed`,
 * `timeout` … are busybox's, as they are at boot. For the paths a qemu boot cannot reach
 * cheaply (retries, malformed instructions).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/nimbusctl.ts';

export const AGENT_LIB = join(REPO_ROOT, 'ramdisk', 'lib');
const BUSYBOX = '/bin/busybox';

export interface ShellRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Why the agent's shell library cannot run here, or undefined when it can. */
export function busyboxMissing(): string | undefined {
  const r = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${BUSYBOX} not found (Debian package busybox-static)`;
}

/** A scratch dir with a bin/ of busybox applet links, and the agent's run dir. */
export class AgentShell {
  readonly dir: string;
  private readonly bin: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'nimbus-agent-sh-'));
    this.bin = join(this.dir, 'bin');
    mkdirSync(this.bin);
    mkdirSync(join(this.dir, 'run'));
    const applets = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const applet of applets) symlinkSync(BUSYBOX, join(this.bin, applet));
  }

  /** Sources the given library files, then runs `script` (busybox ash). Does not block the event loop. */
  run(libs: readonly string[], script: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ShellRun> {
    const prelude = libs.map((l) => `. ${join(AGENT_LIB, l)}`).join('\n');
    return new Promise((resolve) => {
      execFile(
        BUSYBOX,
        ['sh', '-c', `${prelude}\n${script}`],
        { env: { PATH: this.bin, NIMBUS_RUN: join(this.dir, 'run'), ...env }, encoding: 'utf8', timeout: timeoutMs },
        (err, stdout, stderr) => {
          const code = (err as { code?: unknown } | null)?.code;
          resolve({ status: err === null ? 0 : typeof code === 'number' ? code : -1, stdout, stderr });
        },
      );
    });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
