/**
 * nimbusd's Prometheus metrics, on a registry of their own (never prom-client's global one,
 * so two daemons in one test process, or a library that registers its own, cannot collide).
 * The names here are the contract with examples/grafana/nimbusd.json; a test checks it.
 */
import { MACHINE_STATES, type MachineState } from '@nimbus/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric name nimbusd defines, besides prom-client's default process and Node.js metrics. */
export const METRIC_NAMES = {
  machines: 'nimbusd_machines',
  transitions: 'nimbusd_machine_transitions_total',
  transitionDuration: 'nimbusd_machine_transition_duration_seconds',
  bmcCallDuration: 'nimbusd_bmc_call_duration_seconds',
  bmcCallErrors: 'nimbusd_bmc_call_errors_total',
  apiRequests: 'nimbusd_api_requests_total',
  deployPhaseDuration: 'nimbusd_deploy_phase_duration_seconds',
  bootRequests: 'nimbusd_boot_requests_total',
} as const;

/** The boot service's protocols, as the boot-requests counter labels them. */
export type BootProtocol = 'dhcp' | 'tftp' | 'http';

/** Deploy phases take seconds (power) to an hour (an image over a slow link). */
const PHASE_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 90, 120, 300, 600, 1800, 3600];

/** Outcome of one BMC call: `ok`, or the class of failure. */
export type BmcCallResult = 'ok' | 'timeout' | 'auth' | 'refused' | 'error';

/** Outcome of one API request: `ok`, or the JSON-RPC error it ended with, by class. */
export type ApiResult = 'ok' | 'invalid' | 'denied' | 'not_found' | 'conflict' | 'error';

/**
 * Transitions run from a second (a power-state sync) to an hour (a deploy writing a large
 * image over a slow link).
 */
const TRANSITION_BUCKETS = [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
/** BMC calls: a healthy IPMI answer is a few ms; Redfish over TLS on an old BMC takes seconds. */
const BMC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface NimbusMetrics {
  readonly registry: Registry;
  readonly machines: Gauge<'state'>;
  readonly transitions: Counter<'from' | 'to'>;
  readonly transitionDuration: Histogram<'from' | 'to'>;
  readonly bmcCallDuration: Histogram<'driver' | 'operation' | 'result'>;
  readonly bmcCallErrors: Counter<'driver' | 'operation' | 'result'>;
  readonly apiRequests: Counter<'method' | 'result'>;
  readonly deployPhaseDuration: Histogram<'phase' | 'result'>;
  readonly bootRequests: Counter<'protocol' | 'kind' | 'outcome'>;
  /** Sets the machines gauge from a count per state; a state left out counts 0. */
  setMachinesByState(counts: Partial<Record<MachineState, number>>): void;
  /** Counts one transition and how long it took. */
  recordTransition(from: MachineState, to: MachineState, seconds: number): void;
  /** Records one BMC call's latency, and counts it as an error unless it was `ok`. */
  recordBmcCall(driver: string, operation: string, result: BmcCallResult, seconds: number): void;
  recordApiRequest(method: string, result: ApiResult): void;
  /** One deploy phase (power, pxe, image, reboot, ssh) and how long it took. */
  recordDeployPhase(phase: string, result: 'ok' | 'failed', seconds: number): void;
  /** One DHCP packet, TFTP transfer or HTTP request of the boot service; `kind` is bounded (message type, route pattern). */
  recordBootRequest(protocol: BootProtocol, kind: string, outcome: string): void;
}

export interface MetricsOptions {
  /** Collect prom-client's default process and Node.js metrics; defaults to true. */
  defaultMetrics?: boolean;
}

export function createNimbusMetrics(options: MetricsOptions = {}): NimbusMetrics {
  const registry = new Registry();
  const registers = [registry];
  const machines = new Gauge({ name: METRIC_NAMES.machines, help: 'Machines at this site, by lifecycle state.', labelNames: ['state'], registers });
  const transitions = new Counter({
    name: METRIC_NAMES.transitions,
    help: 'Machine lifecycle transitions, by from- and to-state.',
    labelNames: ['from', 'to'],
    registers,
  });
  const transitionDuration = new Histogram({
    name: METRIC_NAMES.transitionDuration,
    help: 'Time a machine spent in the from-state before the transition, in seconds.',
    labelNames: ['from', 'to'],
    buckets: TRANSITION_BUCKETS,
    registers,
  });
  const bmcCallDuration = new Histogram({
    name: METRIC_NAMES.bmcCallDuration,
    help: 'Latency of BMC calls, by driver, operation and result, in seconds.',
    labelNames: ['driver', 'operation', 'result'],
    buckets: BMC_BUCKETS,
    registers,
  });
  const bmcCallErrors = new Counter({
    name: METRIC_NAMES.bmcCallErrors,
    help: 'BMC calls that failed, by driver, operation and kind of failure.',
    labelNames: ['driver', 'operation', 'result'],
    registers,
  });
  const apiRequests = new Counter({
    name: METRIC_NAMES.apiRequests,
    help: 'SSH API requests, by JSON-RPC method and result.',
    labelNames: ['method', 'result'],
    registers,
  });
  const deployPhaseDuration = new Histogram({
    name: METRIC_NAMES.deployPhaseDuration,
    help: 'Duration of each deploy phase (power, pxe, image, reboot, ssh), by result, in seconds.',
    labelNames: ['phase', 'result'],
    buckets: PHASE_BUCKETS,
    registers,
  });
  const bootRequests = new Counter({
    name: METRIC_NAMES.bootRequests,
    help: 'Boot service traffic: DHCP packets by message type, TFTP transfers, HTTP requests by route; by outcome.',
    labelNames: ['protocol', 'kind', 'outcome'],
    registers,
  });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Every state is exported from the start, so a dashboard shows 0 rather than no data.
  for (const state of MACHINE_STATES) machines.set({ state }, 0);

  return {
    registry,
    machines,
    transitions,
    transitionDuration,
    bmcCallDuration,
    bmcCallErrors,
    apiRequests,
    deployPhaseDuration,
    bootRequests,
    setMachinesByState(counts) {
      for (const state of MACHINE_STATES) machines.set({ state }, counts[state] ?? 0);
    },
    recordTransition(from, to, seconds) {
      transitions.inc({ from, to });
      transitionDuration.observe({ from, to }, seconds);
    },
    recordBmcCall(driver, operation, result, seconds) {
      bmcCallDuration.observe({ driver, operation, result }, seconds);
      if (result !== 'ok') bmcCallErrors.inc({ driver, operation, result });
    },
    recordApiRequest(method, result) {
      apiRequests.inc({ method, result });
    },
    recordDeployPhase(phase, result, seconds) {
      deployPhaseDuration.observe({ phase, result }, seconds);
    },
    recordBootRequest(protocol, kind, outcome) {
      bootRequests.inc({ protocol, kind, outcome });
    },
  };
}
