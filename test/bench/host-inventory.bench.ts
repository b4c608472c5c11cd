/**
 * Host inventory: the time `nimbusd inventory` takes on this host, with every probe
 * running concurrently (as nimbusd does) against the same probes run one after another.
 * The first collection in a process is reported apart: systeminformation reads some
 * static data once and caches it. Goal: ≤ 2 s.
 */
import { performance } from 'node:perf_hooks';
import { assembleInventory, collectHostInventory, DEFAULT_PROBE_TIMEOUT_MS, PROBE_NAMES, runProbe, systemInformationProbes, type HostInventory, type ProbeOutcomes } from '../../packages/nimbusd/src/inventory/index.ts';
import { markdownTable, ms, type BenchSection } from './report.ts';

const ROUNDS = 5;
/** Generous, so a slow probe is measured rather than cut off. */
const TIMEOUT_MS = 30_000;

async function sequential(): Promise<HostInventory> {
  const start = performance.now();
  const outcomes: Partial<Record<string, unknown>> = {};
  for (const name of PROBE_NAMES) outcomes[name] = await runProbe(name, systemInformationProbes[name], TIMEOUT_MS);
  return assembleInventory(outcomes as ProbeOutcomes, process.arch, performance.now() - start);
}

const concurrent = (): Promise<HostInventory> => collectHostInventory({ timeoutMs: TIMEOUT_MS });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchSection> {
  const first = await concurrent();
  const together: number[] = [];
  const oneByOne: number[] = [];
  const perProbe = new Map<string, number[]>();
  // Alternate the two, so neither benefits from a warmer cache.
  for (let round = 0; round < ROUNDS; round++) {
    const a = await concurrent();
    together.push(a.elapsedMs);
    const b = await sequential();
    oneByOne.push(b.elapsedMs);
    for (const p of b.probes) perProbe.set(p.name, [...(perProbe.get(p.name) ?? []), p.ms]);
  }
  const failed = first.probes.filter((p) => p.status !== 'ok');
  const med = median(together);
  const rows = [
    ['first collection in the process (concurrent)', ms(first.elapsedMs, 0), '≤ 2000 ms', first.elapsedMs <= 2000 ? 'met' : 'missed'],
    [`concurrent, median of ${ROUNDS}`, ms(med, 0), '≤ 2000 ms', med <= 2000 ? 'met' : 'missed'],
    [`one probe after another, median of ${ROUNDS}`, ms(median(oneByOne), 0), '', `concurrent is ${(median(oneByOne) / med).toFixed(1)}× faster`],
    ...PROBE_NAMES.map((name) => [`  probe ${name} alone, median`, ms(median(perProbe.get(name)!), 0), '', '']),
  ];
  return {
    title: 'Host inventory',
    markdown: [
      `systeminformation probes (${PROBE_NAMES.join(', ')}) on the benchmark host, ${ROUNDS} rounds each way, alternating. nimbusd's own per-probe timeout is ${DEFAULT_PROBE_TIMEOUT_MS} ms; here it is ${TIMEOUT_MS / 1000} s so slow probes are measured, not cut off.${failed.length ? ` Probes that failed on this host: ${failed.map((p) => `${p.name} (${p.error})`).join('; ')}.` : ''}`,
      '',
      markdownTable(['what', 'time', 'goal', ''], rows),
    ].join('\n'),
  };
}

if (import.meta.main) console.log((await run()).markdown);
