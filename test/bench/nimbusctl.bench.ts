/**
 * nimbusctl as a user meets it. (1) Cold start: the built binary's `providers list` over a
 * synced copy of examples/registry, a new process each time, against the floor any Node
 * CLI pays, `node -e 0`, in the same run; goal ≤ 300 ms. (2) `instance create` → SSH-ready
 * wall time on a lab VM (SeaBIOS behind Redfish, the tiny image), then `instance ssh`,
 * against a disk boot of the same VM to an SSH login. Bounded: 20 starts each; one deploy.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { detectAccel } from '../lab/index.ts';
import { LabSite, labSiteMissing } from '../lab-support/lab-site.ts';
import { git, siteProviderToml } from '../support/registry-fixtures.ts';
import { NIMBUSCTL_BIN, NimbusctlHome, REPO_ROOT } from '../support/nimbusctl.ts';
import { tinyImageLabel } from './deploy.bench.ts';
import { markdownTable, ms, percentile, type BenchSection } from './report.ts';

const STARTS = 20;
const TITLE = 'nimbusctl: cold start, and instance create → SSH-ready';

function timeRuns(count: number, run: () => number | null): number[] {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const status = run();
    if (status !== 0) throw new Error(`a timed run exited ${status}`);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

async function coldStart(): Promise<string[][]> {
  const home = new NimbusctlHome();
  const src = mkdtempSync(join(tmpdir(), 'nimbus-bench-registry-'));
  try {
    cpSync(join(REPO_ROOT, 'examples', 'registry'), src, { recursive: true });
    git(src, 'init', '-q', '-b', 'main');
    git(src, 'add', '-A');
    git(src, '-c', 'user.name=bench', '-c', 'user.email=bench@nimbus.example', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'registry');
    if (home.run(['registry', 'add', 'bench', src]).status !== 0 || home.run(['registry', 'sync']).status !== 0) throw new Error('registry set-up failed');
    const list = timeRuns(STARTS, () => spawnSync(process.execPath, [NIMBUSCTL_BIN, 'providers', 'list'], { env: home.env, encoding: 'utf8' }).status);
    const floor = timeRuns(STARTS, () => spawnSync(process.execPath, ['-e', '0']).status);
    const providers = readdirSync(join(src, 'providers')).filter((f) => f.endsWith('.toml')).length;
    const row = (name: string, t: number[]): string[] => [name, String(t.length), ms(percentile(t, 50)), ms(percentile(t, 90)), ms(t[0]!)];
    return [row(`nimbusctl providers list (${providers} providers)`, list), row('  reference: node -e 0', floor)];
  } finally {
    home.remove();
    rmSync(src, { recursive: true, force: true });
  }
}

async function createToSsh(): Promise<string> {
  const missing = labSiteMissing();
  if (missing) return `instance create → SSH-ready: not measured (${missing}).`;
  const accel = await detectAccel();
  const site = await LabSite.start({ pxeTimeoutSeconds: 120, vms: [{ name: 'web', klass: 'default', firmware: 'bios', nic: 'e1000', bmc: 'redfish', memoryMiB: 512, diskMiB: 128 }] });
  const home = new NimbusctlHome();
  const src = mkdtempSync(join(tmpdir(), 'nimbus-bench-lab-registry-'));
  try {
    const { host, port, hostKey } = site.endpoint;
    mkdirSync(join(src, 'providers'));
    writeFileSync(
      join(src, 'providers', 'lab-site.toml'),
      siteProviderToml('lab-site', { host, port, hostKey, image: 'nimbus-tiny' }),
    );
    git(src, 'init', '-q', '-b', 'main');
    git(src, 'add', '-A');
    git(src, '-c', 'user.name=bench', '-c', 'user.email=bench@nimbus.example', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'registry');
    const ctl = (...args: string[]) => site.network.run(process.execPath, [NIMBUSCTL_BIN, ...args], { env: home.env, cwd: home.root, check: false, timeoutMs: 900_000 });
    if ((await ctl('registry', 'add', 'lab', src)).code !== 0 || (await ctl('registry', 'sync')).code !== 0) throw new Error('registry set-up failed');
    const key = site.tenantKeyPath;
    const start = performance.now();
    const created = await ctl('instance', 'create', '--image', 'nimbus-tiny', '--name', 'bench-1', '--ssh-key', `${key}.pub`, '--identity', key, '--json');
    const deployedS = (performance.now() - start) / 1000;
    const id = (JSON.parse(created.stdout) as { instances: { id: string; address: string }[] }).instances[0]!;
    const login = await ctl('instance', 'ssh', id.id, '--', 'hostname');
    const loggedInS = (performance.now() - start) / 1000;
    if (login.stdout.trim() !== 'bench-1') throw new Error(`instance ssh printed ${JSON.stringify(login.stdout)}`);
    await site.vms.web!.powerOff();
    const reboot = performance.now();
    await site.vms.web!.powerOn();
    let floorS = Number.NaN;
    while (performance.now() - reboot < 180_000) {
      if ((await site.ssh(id.address, 'true')).code === 0) {
        floorS = (performance.now() - reboot) / 1000;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return [
      `instance create → SSH-ready on a lab VM (${accel.toUpperCase()}, SeaBIOS behind Redfish, ${tinyImageLabel()}), nimbusctl and nimbusd in one lab namespace:`,
      '',
      markdownTable(
        ['run', 'wall time'],
        [
          ['`instance create` until it reported the instance deployed', `${deployedS.toFixed(1)} s`],
          ['… and `instance ssh ID -- hostname` answered', `${loggedInS.toFixed(1)} s`],
          ['  reference: the same VM power-cycled into its disk until an SSH login works', `${floorS.toFixed(1)} s`],
        ],
      ),
    ].join('\n');
  } finally {
    home.remove();
    rmSync(src, { recursive: true, force: true });
    await site.destroy();
  }
}

export async function run(): Promise<BenchSection> {
  const rows = await coldStart();
  const lab = await createToSsh();
  const markdown = [
    `Cold start: ${STARTS} runs of the built binary, a new Node process each, page cache warm; goal ≤ 300 ms at p50.`,
    '',
    markdownTable(['command', 'runs', 'p50', 'p90', 'best'], rows),
    '',
    lab,
  ].join('\n');
  return { title: TITLE, markdown };
}
