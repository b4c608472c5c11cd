/**
 * JSON-RPC calls per second through nimbusd's SSH API: the built `nimbusd serve` on a site
 * with 10 ready machines (their BMCs the systems of a Redfish emulator in this process,
 * for the daemon's power sync to read) and one instance, answering `capacity` and `instances.get`
 * over one SSH connection (one call at a time, then pipelined: up to 32 in flight, the
 * server's per-connection limit) and across 100 connections (4 in flight each). Every
 * call is audited, and an audit record is a durable commit (WAL, synchronous=FULL), so
 * the store sets the ceiling. Reference, side by side and in the same run: the same
 * dispatcher called in this process with no SSH (the ceiling), and OpenSSH's `ssh` doing
 * one call per process (what a shell script around the API pays: a process, a handshake).
 * Rows are measured in rounds taken in turn, so the shared machine's noise spreads over all.
 * Bounded: CALLS calls or BUDGET_MS per row, SSH_RUNS runs or SSH_BUDGET_MS for `ssh`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NimbusApiClient } from '../../packages/nimbusd/src/api/client.ts';
import { createApiDispatcher } from '../../packages/nimbusd/src/api/methods.ts';
import { Store } from '../../packages/nimbusd/src/state/store.ts';
import { RedfishEmulator } from '../redfish-emulator/server.ts';
import { createSite, nimbusdBuilt, type NimbusdSite } from '../support/nimbusd-site.ts';
import { enrollMachines } from '../support/ready-machines.ts';
import { ServeProcess } from '../support/serve-process.ts';
import { sshTestKey } from '../support/ssh-test-key.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { markdownTable, ms, percentile, type BenchSection } from './report.ts';
import { mapLimited } from '@nimbus/core';

const MACHINES = 10;
/** Calls per row, over all rounds, and the time a row may take. */
const CALLS = 3_000;
const BUDGET_MS = 9_000;
const ROUNDS = 3;
const PIPELINE = 32;
const CONNECTIONS = 100;
const PER_CONNECTION = 4;
/** SSH handshakes at once while opening the 100 connections. */
const CONNECT_CONCURRENCY = 25;
const SSH_RUNS = 50;
const SSH_BUDGET_MS = 15_000;
/** Calls per lane before a row is measured: JIT, first writes on each channel. */
const WARM_UP = 20;

interface Series {
  what: string;
  inFlight: string;
  /** Per-call latencies in ms, ascending. */
  sorted: number[];
  elapsedMs: number;
}

type Call = () => Promise<unknown>;

/** Keeps up to `window` calls going on each of `lanes` until `count` calls in all or `budgetMs`; latencies from send to answer. */
async function drive(lanes: readonly Call[], window: number, count: number, budgetMs: number): Promise<{ sorted: number[]; elapsedMs: number }> {
  const latencies: number[] = [];
  let issued = 0;
  const start = performance.now();
  const worker = async (call: Call): Promise<void> => {
    while (issued < count && performance.now() - start < budgetMs) {
      issued += 1;
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(lanes.flatMap((call) => Array.from({ length: window }, () => worker(call))));
  return { sorted: latencies.sort((a, b) => a - b), elapsedMs: performance.now() - start };
}

const perSecond = (s: Series): number => (s.sorted.length / s.elapsedMs) * 1000;

function row(s: Series): string[] {
  return [s.what, s.inFlight, s.sorted.length.toLocaleString('en'), perSecond(s).toFixed(0), ms(percentile(s.sorted, 50), 2), ms(percentile(s.sorted, 99), 2)];
}

/** One `capacity` call through OpenSSH: a process, a handshake, one line in and one out. */
function sshCall(site: NimbusdSite, identity: string, knownHosts: string): Promise<void> {
  const args = [
    '-F', '/dev/null', '-i', identity, '-p', String(site.apiPort),
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR',
    'nimbus@127.0.0.1', 'nimbus-api',
  ];
  return new Promise((resolve, reject) => {
    const child = execFile('ssh', args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ssh failed: ${stderr.trim() || err.message}`));
      if (!stdout.includes('"result"')) return reject(new Error(`ssh: unexpected answer ${stdout.trim()}`));
      resolve();
    });
    child.stdin!.end('{"jsonrpc":"2.0","id":1,"method":"capacity"}\n');
  });
}

/** One row: calls kept going on `lanes`, `window` in flight on each. */
interface Variant {
  what: string;
  inFlight: string;
  lanes: Call[];
  window: number;
}

/**
 * Measures every variant in ROUNDS rounds taken in turn, so that a slow spell of the shared
 * disk or CPU falls on all of them alike rather than on one row.
 */
async function measureInTurns(variants: readonly Variant[]): Promise<Series[]> {
  const series: Series[] = variants.map((v) => ({ what: v.what, inFlight: v.inFlight, sorted: [], elapsedMs: 0 }));
  for (const v of variants) await drive(v.lanes, 1, v.lanes.length * WARM_UP, BUDGET_MS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, v] of variants.entries()) {
      const result = await drive(v.lanes, v.window, CALLS / ROUNDS, BUDGET_MS / ROUNDS);
      const s = series[i]!;
      s.sorted.push(...result.sorted);
      s.elapsedMs += result.elapsedMs;
    }
  }
  for (const s of series) s.sorted.sort((a, b) => a - b);
  return series;
}

/** The dispatcher the daemon runs, over a store of its own set up like the site's, called in this process. */
async function openInProcess(dir: string): Promise<{ store: Store; capacity: Call; get: Call }> {
  const store = new Store({ path: join(dir, 'nimbusd.sqlite'), clock: () => new Date() });
  const system = { fingerprint: 'bench', role: 'system' as const };
  for (let n = 1; n <= MACHINES; n++) {
    const { id } = store.enrollMachine(
      { name: `node${n}`, bmc: { driver: 'ipmi', address: `192.0.2.${n}:623`, credentialsFile: `/etc/nimbus/bmc/node${n}` }, bootMacs: [`02:00:00:00:01:${n.toString(16).padStart(2, '0')}`] },
      { fingerprint: 'bench', role: 'admin' },
    );
    store.transition(id, 'enrolled', 'inspecting', system);
    store.transition(id, 'inspecting', 'ready', system);
  }
  const dispatch = createApiDispatcher(store);
  const caller = { fingerprint: 'SHA256:bench-tenant', role: 'tenant' as const };
  const created = (await dispatch(caller, { jsonrpc: '2.0', id: 1, method: 'instances.create', params: { request: { arch: 'x86_64' }, idempotencyKey: 'bench' } })) as { instance: { id: string } };
  return {
    store,
    capacity: () => dispatch(caller, { jsonrpc: '2.0', id: 1, method: 'capacity' }),
    get: () => dispatch(caller, { jsonrpc: '2.0', id: 1, method: 'instances.get', params: { id: created.instance.id } }),
  };
}

export async function run(): Promise<BenchSection> {
  const title = 'SSH API: JSON-RPC calls per second';
  if (!nimbusdBuilt()) return { title, markdown: 'Not measured: nimbusd is not built (run ./scripts/setup).' };
  const tenant = sshTestKey('bench-tenant');
  const site = await createSite({ tenantPolicy: 'open' });
  const referenceDir = mkdtempSync(join(tmpdir(), 'nimbus-api-bench-'));
  const clients: NimbusApiClient[] = [];
  let daemon: ServeProcess | undefined;
  let reference: Store | undefined;
  let emulator: RedfishEmulator | undefined;
  try {
    // Real BMCs for the power sync to read: the systems of a Redfish emulator.
    emulator = await RedfishEmulator.start({ mockup: 'public-rackmount1', systemCount: MACHINES, password: TEST_SECRETS.redfishPassword });
    const credentialsFile = join(site.dir, 'bmc-password');
    writeFileSync(credentialsFile, `${TEST_SECRETS.redfishPassword}\n`, { mode: 0o600 });
    const address = new URL(emulator.url).host;
    const paths = emulator.systemPaths;
    await enrollMachines(site.stateDir, MACHINES, (n) => ({ driver: 'redfish', address, username: 'admin', credentialsFile, options: { scheme: 'http', system: paths[n - 1] } }));
    daemon = new ServeProcess({ configPath: site.configPath, env: site.env });
    await daemon.waitForLog('nimbusd listening');
    const options = { host: '127.0.0.1', port: site.apiPort, hostKeyFingerprint: site.hostKeyFingerprint, privateKey: tenant.privateKey };
    const one = await NimbusApiClient.connect(options);
    clients.push(one);
    const { instance } = await one.call('instances.create', { request: { arch: 'x86_64' }, idempotencyKey: 'bench' });
    const connectStart = performance.now();
    const many = await mapLimited(Array.from({ length: CONNECTIONS - 1 }), CONNECT_CONCURRENCY, async () => {
      const client = await NimbusApiClient.connect(options);
      clients.push(client);
      return client;
    });
    const connectMs = performance.now() - connectStart;
    const all = [one, ...many];
    const inProcess = await openInProcess(referenceDir);
    reference = inProcess.store;

    const capacity = (c: NimbusApiClient): Call => () => c.call('capacity', undefined);
    const get = (c: NimbusApiClient): Call => () => c.call('instances.get', { id: instance.id });
    const fanOut = `${CONNECTIONS} × ${PER_CONNECTION}`;
    const series = await measureInTurns([
      { what: 'nimbusd serve over SSH, 1 connection: capacity', inFlight: '1', lanes: [capacity(one)], window: 1 },
      { what: 'nimbusd serve over SSH, 1 connection: capacity', inFlight: String(PIPELINE), lanes: [capacity(one)], window: PIPELINE },
      { what: 'nimbusd serve over SSH, 1 connection: instances.get', inFlight: String(PIPELINE), lanes: [get(one)], window: PIPELINE },
      { what: `nimbusd serve over SSH, ${CONNECTIONS} connections: capacity`, inFlight: fanOut, lanes: all.map(capacity), window: PER_CONNECTION },
      { what: `nimbusd serve over SSH, ${CONNECTIONS} connections: instances.get`, inFlight: fanOut, lanes: all.map(get), window: PER_CONNECTION },
      { what: '  reference: the dispatcher in process, no SSH: capacity', inFlight: '1', lanes: [inProcess.capacity], window: 1 },
      { what: '  reference: the dispatcher in process, no SSH: instances.get', inFlight: '1', lanes: [inProcess.get], window: 1 },
    ]);

    const identity = join(site.dir, 'bench-tenant-key');
    const knownHosts = join(site.dir, 'known_hosts');
    writeFileSync(identity, tenant.privateKey, { mode: 0o600 });
    writeFileSync(knownHosts, `[127.0.0.1]:${site.apiPort} ${site.hostPublicKey}\n`);
    const ssh = await drive([() => sshCall(site, identity, knownHosts)], 1, SSH_RUNS, SSH_BUDGET_MS);
    series.push({ what: '  reference: OpenSSH ssh, one process per call: capacity', inFlight: '1', ...ssh });

    const rate = (what: string, inFlight: string): number => perSecond(series.find((s) => s.what.endsWith(what) && s.inFlight === inFlight)!);
    const pipelined = rate('1 connection: capacity', String(PIPELINE));
    const ceiling = rate('no SSH: capacity', '1');
    const sshRate = rate('one process per call: capacity', '1');
    return {
      title,
      markdown: [
        `The built \`nimbusd serve\` on 127.0.0.1 with ${MACHINES} ready machines and one instance; one tenant key. Each call is audited, one durable SQLite commit (WAL, synchronous=FULL), so the disk bounds every row. ` +
          `Up to ${CALLS.toLocaleString('en')} calls per row, measured in ${ROUNDS} rounds taken in turn with the other rows after a warm-up; opening the ${CONNECTIONS} connections took ${ms(connectMs, 0)} (${CONNECT_CONCURRENCY} handshakes at a time). ` +
          `The in-process reference is the same dispatcher over a store of its own set up alike; the \`ssh\` reference pays a process and a handshake per call. Measured on a shared 2-core machine with other work running: the figures are noisy.`,
        '',
        markdownTable(['client', 'in flight', 'calls', 'calls/s', 'p50', 'p99'], series.map(row)),
        '',
        `capacity pipelined over one connection: ${pipelined.toFixed(0)} calls/s, ${(pipelined / ceiling).toFixed(2)}× the in-process rate (${ceiling.toFixed(0)}/s) ` +
          `and ${(pipelined / sshRate).toFixed(0)}× one \`ssh\` process per call (${sshRate.toFixed(1)}/s).`,
      ].join('\n'),
    };
  } finally {
    for (const client of clients) client.close();
    reference?.close();
    await daemon?.stop('SIGTERM');
    await emulator?.close();
    site.remove();
    rmSync(referenceDir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log((await run()).markdown);
