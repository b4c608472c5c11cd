/**
 * IPMI power status: our RMCP+ client with a warm session against the reference client,
 * a fresh `ipmitool -I lanplus -C 3 … chassis power status` process per call, both one
 * call at a time against the same ipmi_sim in the same run. ipmitool pays a process
 * start and a whole session (RAKP handshake, then Close Session) every time; our client
 * pays one Get Chassis Status round trip. Goal: ≥ 20× the calls per second.
 * Measured twice: against an ipmi_sim that answers power status itself, and against one
 * that runs a chassis_control shell script per read (a cost both clients pay).
 * Bounded: 2,000 client calls or 10 s; 100 ipmitool runs or 20 s (half that for the second).
 */
import { performance } from 'node:perf_hooks';
import { createIpmiDriver, IpmiTransport } from '../../packages/nimbusd/src/bmc/drivers/ipmi/index.ts';
import { IpmiSim, ipmiPeersMissing } from '../support/ipmi-sim.ts';
import { markdownTable, ms, percentile, type BenchSection } from './report.ts';

const CLIENT_CALLS = 2_000;
const CLIENT_BUDGET_MS = 10_000;
const IPMITOOL_RUNS = 100;
const IPMITOOL_BUDGET_MS = 20_000;
const GOAL_RATIO = 20;

interface Series {
  /** Per-call latencies in ms, ascending. */
  sorted: number[];
  elapsedMs: number;
}

/** Runs `call` one at a time until `count` calls or `budgetMs` have passed. */
async function sequential(count: number, budgetMs: number, call: () => Promise<void>): Promise<Series> {
  const latencies: number[] = [];
  const start = performance.now();
  while (latencies.length < count && performance.now() - start < budgetMs) {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  }
  return { sorted: latencies.sort((a, b) => a - b), elapsedMs: performance.now() - start };
}

const perSecond = (s: Series): number => (s.sorted.length / s.elapsedMs) * 1000;

interface PowerStatusRun {
  ours: Series;
  reference: Series;
}

/** Power status through our client (one warm session) and through a fresh ipmitool per call, against one simulator. */
async function measure(sim: IpmiSim, calls: number, runs: number): Promise<PowerStatusRun> {
  const transport = new IpmiTransport();
  const client = createIpmiDriver({ transport, keepAliveMs: 0 }).create({
    driver: 'ipmi', host: sim.host, port: sim.port, username: sim.username, password: sim.password, cipherSuite: 3,
  });
  try {
    // Opens the session; the calls timed below all reuse it.
    const first = await client.powerState!();
    const ours = await sequential(calls, CLIENT_BUDGET_MS, async () => {
      if ((await client.powerState!()) !== first) throw new Error('the power state changed under the benchmark');
    });
    const reference = await sequential(runs, IPMITOOL_BUDGET_MS, async () => {
      const out = await sim.ipmitool('chassis', 'power', 'status');
      if (!out.includes(`Chassis Power is ${first}`)) throw new Error(`ipmitool said: ${out.trim()}`);
    });
    return { ours, reference };
  } finally {
    await client.close();
    await transport.close();
  }
}

export async function run(): Promise<BenchSection> {
  const title = 'IPMI power status: our client against ipmitool';
  const missing = ipmiPeersMissing();
  if (missing !== undefined) return { title, markdown: `Not measured: ${missing}.` };

  const plainSim = await new IpmiSim({ chassisScript: false }).start();
  const scriptSim = await new IpmiSim().start();
  try {
    const plain = await measure(plainSim, CLIENT_CALLS, IPMITOOL_RUNS);
    const scripted = await measure(scriptSim, CLIENT_CALLS / 2, IPMITOOL_RUNS / 2);
    const ratio = perSecond(plain.ours) / perSecond(plain.reference);
    const ratioScripted = perSecond(scripted.ours) / perSecond(scripted.reference);
    const row = (what: string, s: Series): string[] => [
      what,
      s.sorted.length.toLocaleString('en'),
      perSecond(s).toFixed(0),
      ms(percentile(s.sorted, 50), 2),
      ms(percentile(s.sorted, 99), 2),
    ];
    return {
      title,
      markdown: [
        'Chassis power status against OpenIPMI ipmi_sim on 127.0.0.1, cipher suite 3, one call at a time. Our client keeps its session open; ipmitool is spawned per call (`ipmitool -I lanplus -C 3 … chassis power status`), which is what a script around it does, and so pays a process start and a whole RAKP session every time. ' +
          'Two simulators: one that answers power status itself (the protocol alone), and the test suite\'s, whose chassis_control shell script ipmi_sim runs for every power read (about 3 ms that both clients pay).',
        '',
        markdownTable(
          ['client', 'calls', 'calls/s', 'p50', 'p99'],
          [
            row('ipmi_sim answering itself: nimbusd IPMI client, warm session', plain.ours),
            row('  reference: ipmitool, one process per call', plain.reference),
            row('ipmi_sim with a chassis script: nimbusd IPMI client, warm session', scripted.ours),
            row('  reference: ipmitool, one process per call', scripted.reference),
          ],
        ),
        '',
        `Our client is ${ratio.toFixed(1)}× faster in calls per second against the simulator answering itself (goal ≥ ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'met' : 'missed'}), ` +
          `and ${ratioScripted.toFixed(1)}× against the one running a shell script per read, where the script is most of our time.`,
      ].join('\n'),
    };
  } finally {
    await plainSim.stop();
    await scriptSim.stop();
  }
}

if (import.meta.main) console.log((await run()).markdown);
