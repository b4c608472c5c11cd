/**
 * A power-status sweep across many BMCs, the way nimbusd checks a site:
 *  - 1,000 Redfish systems: one emulator process serving 1,000 copies of a system
 *    (`--systems 1000`), 1,000 driver clients each with its own `system`, at most
 *    64 calls in flight. A cold sweep (each client's first call: service root, login,
 *    the system) and a warm one (one GET each). Goal: 1,000 BMCs in ≤ 5 s.
 *  - As many ipmi_sim processes as this machine holds sensibly, each on its own port,
 *    every session through one IpmiTransport socket: cold (RAKP handshake first) and warm.
 * Reference, side by side: the same sweeps one BMC at a time.
 * Bounded: each sweep stops starting calls after SWEEP_BUDGET_MS; every process and
 * socket is closed in `finally`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { BmcClient, BmcConfig } from '../../packages/nimbusd/src/bmc/driver.ts';
import { createIpmiDriver, IpmiTransport } from '../../packages/nimbusd/src/bmc/drivers/ipmi/index.ts';
import { redfishDriver } from '../../packages/nimbusd/src/bmc/drivers/redfish/index.ts';
import { IpmiSim, ipmiPeersMissing } from '../support/ipmi-sim.ts';
import { markdownTable, ms, percentile, type BenchSection } from './report.ts';
import { mapLimited } from '@nimbus/core';

const REDFISH_SYSTEMS = 1_000;
const IN_FLIGHT = 64;
/**
 * An ipmi_sim takes about 4 MiB, so memory is no limit; CPU is, since each simulator forks
 * a shell for every power read. 200 on 2 cores keeps the sweep, not the machine, measured;
 * fewer on a smaller machine.
 */
const IPMI_SIMS = Math.min(200, cpus().length * 100);
/** Simulators started at once; each start waits until its simulator answers. */
const SIM_START_BATCH = 20;
const SWEEP_BUDGET_MS = 30_000;
const GOAL_MS = 5_000;
const EMULATOR_CLI = resolve(import.meta.dirname, '../redfish-emulator/cli.ts');
/** The emulator's first system in this mockup; copies are `<path>-2` … `<path>-N`. */
const FIRST_SYSTEM = '/redfish/v1/Systems/437XR1138R2';

interface Sweep {
  /** Calls that completed, of the clients given. */
  done: number;
  of: number;
  elapsedMs: number;
  /** Per-call latencies in ms, ascending. */
  sorted: number[];
  peak: number;
}

/** Calls `call` for every client, at most `inFlight` at once; stops starting calls after SWEEP_BUDGET_MS. */
async function sweep<C>(clients: readonly C[], inFlight: number, call: (client: C) => Promise<unknown>): Promise<Sweep> {
  const latencies: number[] = [];
  let active = 0;
  let peak = 0;
  const start = performance.now();
  await mapLimited(clients, inFlight, async (client) => {
    active++;
    peak = Math.max(peak, active);
    const t = performance.now();
    try {
      await call(client);
    } finally {
      active--;
    }
    latencies.push(performance.now() - t);
  }, () => performance.now() - start < SWEEP_BUDGET_MS);
  return { done: latencies.length, of: clients.length, elapsedMs: performance.now() - start, sorted: latencies.sort((a, b) => a - b), peak };
}

function row(what: string, s: Sweep, goal = ''): string[] {
  const count = s.done === s.of ? s.done.toLocaleString('en') : `${s.done} of ${s.of} (stopped at ${SWEEP_BUDGET_MS / 1000} s)`;
  const met = goal === '' ? '' : s.done === s.of && s.elapsedMs <= GOAL_MS ? 'met' : 'missed';
  return [what, count, ms(s.elapsedMs, 0), ms(percentile(s.sorted, 50), 2), ms(percentile(s.sorted, 99), 2), String(s.peak), goal, met];
}

const HEADERS = ['sweep', 'BMCs', 'total', 'p50 per call', 'p99 per call', 'peak in flight', 'goal', ''];

const powerIsOn = async (client: BmcClient): Promise<void> => {
  const state = await client.powerState!();
  if (state !== 'on') throw new Error(`a BMC reported power ${state}, expected on`);
};

async function closeAll(clients: readonly BmcClient[]): Promise<void> {
  await sweep(clients, IN_FLIGHT, (c) => c.close().catch(() => undefined));
}

/** The emulator runs as its own process, as BMCs are other machines: it does not share our event loop. */
async function startEmulator(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--no-warnings', EMULATOR_CLI, '--mockup', 'public-rackmount1', '--port', '0', '--systems', String(REDFISH_SYSTEMS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url: line.trim(), child };
}

async function redfishSweeps(): Promise<string[][]> {
  const { url, child } = await startEmulator();
  const clients: BmcClient[] = [];
  try {
    const { hostname, port } = new URL(url);
    const paths = Array.from({ length: REDFISH_SYSTEMS }, (_, i) => (i === 0 ? FIRST_SYSTEM : `${FIRST_SYSTEM}-${i + 1}`));
    const config = (system: string): BmcConfig => ({ driver: 'redfish', host: hostname, port: Number(port), scheme: 'http', username: 'admin', password: 'password', system });
    const fresh = (by: 'path' | 'id' = 'path'): BmcClient[] => {
      const made = paths.map((p) => redfishDriver.create(config(by === 'path' ? p : p.slice(p.lastIndexOf('/') + 1))));
      clients.push(...made);
      return made;
    };

    // The emulator builds a copy of the system on first access: build all of them before
    // anything is timed, so every sweep below meets the same emulator.
    const basic = `Basic ${Buffer.from('admin:password').toString('base64')}`;
    await sweep(paths, IN_FLIGHT, async (p) => {
      const res = await fetch(`${url}${p}`, { headers: { Authorization: basic } });
      if (res.status !== 200) throw new Error(`the emulator answered GET ${p} with HTTP ${res.status}`);
      await res.arrayBuffer();
    });
    // And warm our side up (JIT, the HTTP agent's sockets) with a short untimed sweep.
    const warmUp = fresh().slice(0, 2 * IN_FLIGHT);
    await sweep(warmUp, IN_FLIGHT, powerIsOn);
    await closeAll(warmUp);
    const concurrent = fresh();
    const cold = await sweep(concurrent, IN_FLIGHT, powerIsOn);
    const warm = await sweep(concurrent, IN_FLIGHT, powerIsOn);
    await closeAll(concurrent);
    const one = fresh();
    const coldSequential = await sweep(one, 1, powerIsOn);
    const warmSequential = await sweep(one, 1, powerIsOn);
    await closeAll(one);
    const byId = fresh('id');
    const coldById = await sweep(byId, IN_FLIGHT, powerIsOn);
    await closeAll(byId);
    return [
      row(`Redfish, cold (root + login + system), ${IN_FLIGHT} in flight`, cold, `≤ ${GOAL_MS} ms`),
      row(`  Redfish cold, each system named by Id (so each client reads the ${REDFISH_SYSTEMS.toLocaleString('en')}-member Systems collection)`, coldById),
      row(`Redfish, warm (one GET), ${IN_FLIGHT} in flight`, warm, `≤ ${GOAL_MS} ms`),
      row('  reference: Redfish cold, one BMC at a time', coldSequential),
      row('  reference: Redfish warm, one BMC at a time', warmSequential),
    ];
  } finally {
    await closeAll(clients);
    child.kill();
  }
}

async function ipmiSweeps(): Promise<{ rows: string[][]; note: string }> {
  const missing = ipmiPeersMissing();
  if (missing !== undefined) return { rows: [], note: `IPMI sweep not measured: ${missing}.` };
  const sims: IpmiSim[] = [];
  const transport = new IpmiTransport();
  const clients: BmcClient[] = [];
  try {
    for (let i = 0; i < IPMI_SIMS; i += SIM_START_BATCH) {
      const batch = Array.from({ length: Math.min(SIM_START_BATCH, IPMI_SIMS - i) }, () => new IpmiSim());
      sims.push(...batch);
      await Promise.all(batch.map((s) => s.start()));
    }
    // Every client, cold and warm, concurrent and one at a time, shares the one socket.
    const driver = createIpmiDriver({ transport, keepAliveMs: 0 });
    const fresh = (): BmcClient[] => {
      const made = sims.map((s) => driver.create({ driver: 'ipmi', host: s.host, port: s.port, username: s.username, password: s.password, cipherSuite: 3 }));
      clients.push(...made);
      return made;
    };
    const isOff = async (client: BmcClient): Promise<void> => {
      const state = await client.powerState!();
      if (state !== 'off') throw new Error(`an ipmi_sim reported power ${state}, expected off`);
    };
    const concurrent = fresh();
    const cold = await sweep(concurrent, IN_FLIGHT, isOff);
    const warm = await sweep(concurrent, IN_FLIGHT, isOff);
    await closeAll(concurrent);
    const one = fresh();
    const coldSequential = await sweep(one, 1, isOff);
    const warmSequential = await sweep(one, 1, isOff);
    await closeAll(one);
    return {
      rows: [
        row(`IPMI, cold (RAKP session + chassis status), ${Math.min(IN_FLIGHT, IPMI_SIMS)} in flight`, cold),
        row(`IPMI, warm session, ${Math.min(IN_FLIGHT, IPMI_SIMS)} in flight`, warm),
        row('  reference: IPMI cold, one BMC at a time', coldSequential),
        row('  reference: IPMI warm, one BMC at a time', warmSequential),
      ],
      note: `IPMI: ${IPMI_SIMS} ipmi_sim processes on 127.0.0.1, each on its own port, every session through one UDP socket (one IpmiTransport); each simulator forks a shell for every power read, on ${cpus().length} cores shared with the sweep.`,
    };
  } finally {
    await closeAll(clients);
    await transport.close();
    await Promise.all(sims.map((s) => s.stop()));
  }
}

export async function run(): Promise<BenchSection> {
  const redfish = await redfishSweeps();
  const ipmi = await ipmiSweeps();
  return {
    title: 'BMC power-status sweep',
    markdown: [
      `Power status of every BMC, at most ${IN_FLIGHT} calls in flight, against the same sweep one BMC at a time. Redfish: one emulator process serving ${REDFISH_SYSTEMS.toLocaleString('en')} copies of the public-rackmount1 system over HTTP on 127.0.0.1, one driver client per system, each naming its system by \`@odata.id\`. ${ipmi.note}`,
      '',
      markdownTable(HEADERS, [...redfish, ...ipmi.rows]),
      '',
      `On loopback every emulated BMC answers in about a millisecond and the emulators share the ${cpus().length} cores with the sweep, so the sweep is bound by CPU and one at a time keeps up with it. Against real BMCs, whose answers take tens to hundreds of milliseconds, a sweep takes about calls × latency ÷ in-flight and one at a time calls × latency.`,
    ].join('\n'),
  };
}

if (import.meta.main) console.log((await run()).markdown);
