/**
 * Drives every machine that is in the middle of something to its next state. On start it
 * picks up whatever a previous run left mid-transition (a crash, a restart), then runs on
 * every change this process makes to the store and on an interval (for changes made by
 * `nimbusd machine …` in another process). A state's step must be safe to repeat: it is
 * run again after a crash, and its own final transition is a compare-and-set that only
 * one runner wins. A machine has at most one step running at a time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MachineState } from '@nimbus/core';
import { silentLogger, type Logger } from '../logging/index.ts';
import type { Actor } from '../state/audit.ts';
import { NotFoundError, StaleStateError } from '../state/errors.ts';
import type { Machine } from '../state/records.ts';
import type { Store } from '../state/store.ts';

/** nimbusd itself, as the audit log names it when the reconcile loop moves a machine. */
export const RECONCILER_ACTOR: Actor = { fingerprint: 'nimbusd', role: 'system' };

/** Moves a machine on from its state; throws a StepFailure to send it to `error`. */
export type ReconcileStep = (machine: Machine, signal: AbortSignal) => Promise<void>;

/** A step's failure, classified for the machine's `error` state. */
export class StepFailure extends Error {
  readonly code = 'STEP_FAILED';
  readonly errorClass: string;
  readonly hint: string;
  constructor(errorClass: string, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StepFailure';
    this.errorClass = errorClass;
    this.hint = hint;
  }
}

export type ReconcileStore = Pick<Store, 'listMachines' | 'getMachine' | 'transition' | 'onChange'>;

export interface ReconcilerOptions {
  store: ReconcileStore;
  steps: Partial<Record<MachineState, ReconcileStep>>;
  /** Steps running at once; default 16. */
  concurrency?: number;
  /** Time between two passes when nothing changes; default 10 s. */
  intervalMs?: number;
  logger?: Logger;
  /** Told of each step's end, for metrics. */
  onStep?: (state: MachineState, outcome: 'ok' | 'failed', seconds: number) => void;
}

export class Reconciler {
  readonly #store: ReconcileStore;
  readonly #steps: Partial<Record<MachineState, ReconcileStep>>;
  readonly #concurrency: number;
  readonly #intervalMs: number;
  readonly #log: Logger;
  readonly #onStep: ReconcilerOptions['onStep'];
  readonly #running = new Map<string, Promise<void>>();
  #queued: Machine[] = [];

  constructor(options: ReconcilerOptions) {
    this.#store = options.store;
    this.#steps = options.steps;
    this.#concurrency = options.concurrency ?? 16;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#log = (options.logger ?? silentLogger()).child({ subsystem: 'reconcile' });
    this.#onStep = options.onStep;
  }

  /** Machines whose step is running now. */
  get busy(): string[] {
    return [...this.#running.keys()];
  }

  /** Starts the step of every machine that has one and is not already being worked on. */
  pass(signal: AbortSignal): void {
    if (signal.aborted) return;
    const waiting = new Set(this.#queued.map((m) => m.id));
    for (const machine of this.#store.listMachines()) {
      if (this.#steps[machine.state] && !this.#running.has(machine.id) && !waiting.has(machine.id)) this.#queued.push(machine);
    }
    this.#drain(signal);
  }

  /** Runs passes until `signal` aborts, then waits for the steps in flight to end. */
  async run(signal: AbortSignal): Promise<void> {
    let wake: AbortController | undefined;
    const unsubscribe = this.#store.onChange(() => wake?.abort());
    try {
      while (!signal.aborted) {
        wake = new AbortController();
        this.pass(signal);
        await sleep(this.#intervalMs, undefined, { signal: AbortSignal.any([signal, wake.signal]) }).catch(() => undefined);
      }
    } finally {
      unsubscribe();
      await Promise.allSettled([...this.#running.values()]);
    }
  }

  /** Resolves once no step is running or queued (tests, and a clean shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  #drain(signal: AbortSignal): void {
    while (this.#running.size < this.#concurrency && this.#queued.length > 0) {
      const machine = this.#queued.shift()!;
      const run = this.#runStep(machine, signal)
        .catch((err: unknown) => this.#log.error({ machine: machine.id, err: err instanceof Error ? err.message : String(err) }, 'reconcile step crashed'))
        .finally(() => {
          this.#running.delete(machine.id);
          // A step that moved the machine on (allocated → deploying) hands it straight to the next one.
          this.#requeue(machine, signal);
          this.#drain(signal);
        });
      this.#running.set(machine.id, run);
    }
  }

  /** Queues the machine again only if its step moved it to another state that has a step (a no-op step must not spin). */
  #requeue(before: Machine, signal: AbortSignal): void {
    if (signal.aborted || this.#queued.some((m) => m.id === before.id)) return;
    try {
      const machine = this.#store.getMachine(before.id);
      if (machine.state !== before.state && this.#steps[machine.state]) this.#queued.push(machine);
    } catch (err) {
      if (!(err instanceof NotFoundError)) this.#log.error({ machine: before.id, err: (err as Error).message }, 'cannot re-read a machine after its step');
    }
  }

  async #runStep(queued: Machine, signal: AbortSignal): Promise<void> {
    let machine: Machine;
    try {
      machine = this.#store.getMachine(queued.id); // it may have moved while it waited
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    const step = this.#steps[machine.state];
    if (!step || signal.aborted) return;
    const started = performance.now();
    try {
      await step(machine, signal);
      this.#onStep?.(machine.state, 'ok', (performance.now() - started) / 1000);
    } catch (err) {
      this.#onStep?.(machine.state, 'failed', (performance.now() - started) / 1000);
      if (signal.aborted) return; // shutting down: the next start resumes it
      this.#fail(machine, err);
    }
  }

  #fail(machine: Machine, err: unknown): void {
    const failure =
      err instanceof StepFailure
        ? err
        : new StepFailure('internal', `the ${machine.state} step failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`, "see nimbusd's log around this time");
    const fields = { machine: machine.id, name: machine.name, state: machine.state, class: failure.errorClass, reason: failure.message };
    try {
      this.#store.transition(machine.id, machine.state, 'error', RECONCILER_ACTOR, { error: failure.message, errorClass: failure.errorClass, hint: failure.hint });
      this.#log.error({ ...fields, hint: failure.hint }, 'machine moved to error');
    } catch (moveErr) {
      if (moveErr instanceof StaleStateError || moveErr instanceof NotFoundError) {
        this.#log.info(fields, 'step failed but the machine moved meanwhile; leaving it where it is');
        return;
      }
      this.#log.error({ ...fields, err: (moveErr as Error).message }, 'could not move the machine to error');
    }
  }
}
