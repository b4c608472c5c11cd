/**
 * `nimbusd serve` on a site of 10,000 machines: how long from spawning the built binary
 * to the API answering a `capacity` call over SSH, and its resident memory (VmRSS from
 * /proc/PID/status) right after that and after a round of calls (capacity, the whole
 * machine list, allocations, reads, releases, the audit tail), with its peak (VmHWM).
 * Goals: start ≤ 2 s, RSS ≤ 1 GiB. Reference, side by side in the same run: the same on
 * a site of 10 machines. The machines are enrolled through the built store directly (not
 * 10,000 CLI runs), unsynced since a benchmark's set-up need not survive a crash. Their
 * BMCs are the systems of a Redfish emulator in its own process, so the daemon's power
 * sync (which starts with the daemon and reads every BMC) and its reconcile loop (which
 * powers released machines off) do their real work during the measurement.
 * Bounded: STARTS starts per site; every daemon and emulator is stopped and every site
 * removed in `finally`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NimbusApiClient } from '../../packages/nimbusd/src/api/client.ts';
import { createSite, nimbusdBuilt, type NimbusdSite } from '../support/nimbusd-site.ts';
import { enrollMachines } from '../support/ready-machines.ts';
import { RedfishEmulatorProcess } from '../support/redfish-emulator-process.ts';
import { ServeProcess } from '../support/serve-process.ts';
import { sshTestKey, type SshTestKey } from '../support/ssh-test-key.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { markdownTable, ms, type BenchSection } from './report.ts';

const LARGE = 10_000;
const SMALL = 10;
const STARTS = 3;
/** Allocations (and as many reads and releases) in each start's round of calls; the small site must have them free. */
const ALLOCATIONS = 3;
const CAPACITY_CALLS = 20;
const LIST_CALLS = 3;
const START_GOAL_MS = 2_000;
const RSS_GOAL_KIB = 1024 * 1024;

interface Start {
  listeningMs: number;
  answeredMs: number;
  rssAfterStartKiB: number;
  rssAfterCallsKiB: number;
  peakKiB: number;
  /** How long one full `machines.list` took, ms. */
  listMs: number[];
}

interface SiteFigures {
  machines: number;
  enrollMs: number;
  starts: Start[];
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

/** One start: spawn, wait for the API to answer, read memory, run the round of calls, read memory again, stop. */
async function startOnce(site: NimbusdSite, machineCount: number, admin: SshTestKey, tenant: SshTestKey, round: number): Promise<Start> {
  const daemon = new ServeProcess({ configPath: site.configPath, env: site.env });
  const clients: NimbusApiClient[] = [];
  try {
    await daemon.waitForLog('nimbusd listening', 60_000);
    const listeningMs = performance.now() - daemon.startedAt;
    const options = { host: '127.0.0.1', port: site.apiPort, hostKeyFingerprint: site.hostKeyFingerprint };
    const adminClient = await NimbusApiClient.connect({ ...options, privateKey: admin.privateKey });
    clients.push(adminClient);
    await adminClient.call('capacity', undefined);
    const answeredMs = performance.now() - daemon.startedAt;
    const afterStart = daemon.memoryKiB();

    const tenantClient = await NimbusApiClient.connect({ ...options, privateKey: tenant.privateKey });
    clients.push(tenantClient);
    await Promise.all(Array.from({ length: CAPACITY_CALLS }, () => tenantClient.call('capacity', undefined)));
    const listMs: number[] = [];
    for (let i = 0; i < LIST_CALLS; i++) {
      const t = performance.now();
      const { machines } = await adminClient.call('machines.list', {});
      listMs.push(performance.now() - t);
      if (machines.length !== machineCount) throw new Error(`machines.list answered ${machines.length} machines, not ${machineCount}`);
    }
    for (let i = 0; i < ALLOCATIONS; i++) {
      const { instance } = await tenantClient.call('instances.create', { request: { arch: 'x86_64' }, idempotencyKey: `scale-${round}-${i}` });
      await tenantClient.call('instances.get', { id: instance.id });
      await tenantClient.call('instances.delete', { id: instance.id });
    }
    await tenantClient.call('instances.list', {});
    await adminClient.call('audit.tail', { limit: 1000 });
    const afterCalls = daemon.memoryKiB();
    if (!afterStart || !afterCalls) throw new Error('cannot read /proc/PID/status of nimbusd serve (Linux only)');
    return { listeningMs, answeredMs, rssAfterStartKiB: afterStart.rss, rssAfterCallsKiB: afterCalls.rss, peakKiB: afterCalls.peak, listMs };
  } finally {
    for (const client of clients) client.close();
    await daemon.stop('SIGTERM');
  }
}

async function measureSite(machines: number, admin: SshTestKey, tenant: SshTestKey): Promise<SiteFigures> {
  const site = await createSite({ adminKeys: [admin.fingerprint], tenantPolicy: 'open' });
  let emulator: RedfishEmulatorProcess | undefined;
  try {
    emulator = await RedfishEmulatorProcess.start({ systems: machines, password: TEST_SECRETS.redfishPassword });
    const credentialsFile = join(site.dir, 'bmc-password');
    writeFileSync(credentialsFile, `${TEST_SECRETS.redfishPassword}\n`, { mode: 0o600 });
    const address = new URL(emulator.url).host;
    const paths = emulator.systemPaths;
    const t = performance.now();
    await enrollMachines(
      site.stateDir,
      machines,
      (n) => ({ driver: 'redfish', address, username: emulator!.username, credentialsFile, options: { scheme: 'http', system: paths[n - 1] } }),
      { unsynced: true },
    );
    const enrollMs = performance.now() - t;
    const starts: Start[] = [];
    for (let round = 0; round < STARTS; round++) starts.push(await startOnce(site, machines, admin, tenant, round));
    return { machines, enrollMs, starts };
  } finally {
    await emulator?.stop();
    site.remove();
  }
}

export async function run(): Promise<BenchSection> {
  const title = 'nimbusd serve at 10,000 machines: start time and memory';
  if (!nimbusdBuilt()) return { title, markdown: 'Not measured: nimbusd is not built (run ./scripts/setup).' };
  const admin = sshTestKey('scale-admin');
  const tenant = sshTestKey('scale-tenant');
  const large = await measureSite(LARGE, admin, tenant);
  const small = await measureSite(SMALL, admin, tenant);

  const row = (what: string, f: SiteFigures): string[] => [
    what,
    f.machines.toLocaleString('en'),
    ms(f.enrollMs, 0),
    ms(median(f.starts.map((s) => s.listeningMs)), 0),
    ms(median(f.starts.map((s) => s.answeredMs)), 0),
    ms(Math.max(...f.starts.map((s) => s.answeredMs)), 0),
    mib(median(f.starts.map((s) => s.rssAfterStartKiB))),
    mib(median(f.starts.map((s) => s.rssAfterCallsKiB))),
    mib(Math.max(...f.starts.map((s) => s.peakKiB))),
    ms(median(f.starts.flatMap((s) => s.listMs)), 1),
  ];
  const worstStart = Math.max(...large.starts.map((s) => s.answeredMs));
  const worstRss = Math.max(...large.starts.map((s) => s.peakKiB));
  return {
    title,
    markdown: [
      `The built \`nimbusd serve\` on 127.0.0.1, started ${STARTS} times per site. Start: from spawning the process to the \`nimbusd listening\` log line, and to the answer of a \`capacity\` call over a new SSH connection. ` +
        `RSS right after that answer, then after a round of calls (${CAPACITY_CALLS} capacity at once, ${LIST_CALLS} full \`machines.list\`, ${ALLOCATIONS} create + get + delete, instances.list, audit.tail 1000); peak is VmHWM. ` +
        `From its start the daemon's power sync reads every BMC (Redfish emulator in another process, 16 at a time), so the large site's figures include that work. ` +
        `Enroll is the set-up through the store, for scale. Medians of the starts, except the worst start and the peak. Measured on a shared 2-core machine with other work running: the figures are noisy.`,
      '',
      markdownTable(
        ['site', 'machines', 'enroll (set-up)', 'start → listening', 'start → capacity answered', 'worst start', 'RSS after start', 'RSS after the calls', 'peak RSS', 'machines.list'],
        [row('nimbusd serve', large), row('  reference: a small site', small)],
      ),
      '',
      `At ${LARGE.toLocaleString('en')} machines: worst start ${ms(worstStart, 0)} (goal ≤ ${ms(START_GOAL_MS, 0)}: ${worstStart <= START_GOAL_MS ? 'met' : 'missed'}), ` +
        `peak RSS ${mib(worstRss)} (goal ≤ 1 GiB: ${worstRss <= RSS_GOAL_KIB ? 'met' : 'missed'}).`,
    ].join('\n'),
  };
}

if (import.meta.main) console.log((await run()).markdown);
