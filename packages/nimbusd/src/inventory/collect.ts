/**
 * Collects the host inventory: every probe at once, each under its own timeout, so one
 * slow probe (a hung dmidecode, a GPU driver that stalls) costs its own section only.
 */
import { performance } from 'node:perf_hooks';
import { baseboardFrom, cpuFrom, disksFrom, gpusFrom, memoryFrom, nicsFrom, systemFrom } from './normalize.ts';
import { systemInformationProbes, type HostProbes, type ProbeResults } from './probes.ts';
import { PROBE_NAMES, type HostInventory, type ProbeName, type ProbeReport } from './types.ts';

/** Time one probe may take before its section is given up; the goal for the whole inventory is 2 s. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1_500;

export interface CollectOptions {
  /** The probes to run; defaults to systeminformation's. */
  probes?: HostProbes;
  /** Per-probe timeout in ms; defaults to DEFAULT_PROBE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Architecture to report; defaults to `process.arch`. */
  arch?: string;
}

/** Milliseconds to a tenth: finer figures are noise in a report. */
const tenths = (ms: number): number => Math.round(ms * 10) / 10;

/** One probe's outcome: its report and, when it succeeded, its answer. */
export interface ProbeOutcome<K extends ProbeName = ProbeName> {
  report: ProbeReport;
  value: ProbeResults[K] | null;
}

export type ProbeOutcomes = { [K in ProbeName]: ProbeOutcome<K> };

/**
 * Runs one probe, waiting at most `timeoutMs`; never rejects. The timeout bounds waiting
 * only: some systeminformation calls run commands synchronously and block the event loop
 * while they do, which no timer can interrupt.
 */
export async function runProbe<K extends ProbeName>(name: K, probe: () => Promise<ProbeResults[K]>, timeoutMs: number): Promise<ProbeOutcome<K>> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const value = await Promise.race([probe(), timedOut]);
    const ms = tenths(performance.now() - start);
    if (value === 'timeout') return { report: { name, status: 'timeout', ms: timeoutMs, error: `no answer within ${timeoutMs} ms` }, value: null };
    return { report: { name, status: 'ok', ms }, value };
  } catch (err) {
    return { report: { name, status: 'failed', ms: tenths(performance.now() - start), error: err instanceof Error ? err.message : String(err) }, value: null };
  } finally {
    clearTimeout(timer);
  }
}

/** Builds the inventory from the probes' outcomes, however they were run. */
export function assembleInventory(outcomes: ProbeOutcomes, arch: string, elapsedMs: number): HostInventory {
  const { cpu, memory, memoryLayout, disks, nics, gpus, system, baseboard } = outcomes;
  return {
    arch,
    cpu: cpu.value && cpuFrom(cpu.value),
    memory: memory.value && memoryFrom(memory.value, memoryLayout.value),
    disks: disks.value && disksFrom(disks.value),
    nics: nics.value && nicsFrom(nics.value),
    gpus: gpus.value && gpusFrom(gpus.value),
    system: system.value && systemFrom(system.value),
    baseboard: baseboard.value && baseboardFrom(baseboard.value),
    probes: PROBE_NAMES.map((name) => outcomes[name].report),
    elapsedMs,
  };
}

/** Reads the host inventory; every probe runs concurrently, and a probe that times out or fails leaves only its section `null`. */
export async function collectHostInventory(options: CollectOptions = {}): Promise<HostInventory> {
  const probes = options.probes ?? systemInformationProbes;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const start = performance.now();
  const results = await Promise.all(PROBE_NAMES.map((name) => runProbe(name, probes[name], timeoutMs)));
  const outcomes = Object.fromEntries(PROBE_NAMES.map((name, i) => [name, results[i]])) as ProbeOutcomes;
  return assembleInventory(outcomes, options.arch ?? process.arch, tenths(performance.now() - start));
}
