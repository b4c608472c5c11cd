/**
 * `instances.watch`: streams an instance's state and deploy phase as they change, until
 * it reaches an outcome (deployed, released, failed, or allocated with nothing to
 * deploy), the caller goes away, or the watch times out. Changes made by this process
 * wake it at once; a slow poll catches those made by another process on the same store.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Instance, Machine } from '../state/records.ts';
import type { Store } from '../state/store.ts';

export type WatchStore = Pick<Store, 'getInstance' | 'getMachine' | 'onChange'>;

/** What a watcher is told: the instance, its machine's state, and the error of a failed deploy. */
export interface InstanceEvent {
  instance: Instance;
  machineState: Machine['state'];
  /** The deploy's failure; `hint` only for admins (it names the provider's own equipment). */
  error: { message: string; class: string | null; hint?: string | null } | null;
  /** Set on the last event: why the watch ended. */
  outcome?: WatchOutcome;
}

export type WatchOutcome = 'deployed' | 'released' | 'failed' | 'allocated' | 'timeout';

/** Polls for other processes' changes this often. */
export const WATCH_POLL_MS = 2_000;
export const DEFAULT_WATCH_TIMEOUT_S = 3_600;

export interface WatchOptions {
  id: string;
  /** Only this tenant's instance; undefined for admins. */
  tenant: string | undefined;
  withHint: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  notify(event: InstanceEvent): void;
  pollMs?: number;
}

/** Runs the watch; resolves with the last event (the one carrying the outcome). */
export async function watchInstance(store: WatchStore, options: WatchOptions): Promise<InstanceEvent> {
  const deadline = Date.now() + options.timeoutMs;
  let wake: (() => void) | undefined;
  const unsubscribe = store.onChange(() => wake?.());
  try {
    let last = '';
    for (;;) {
      const event = snapshot(store, options);
      const outcome = outcomeOf(event);
      const key = JSON.stringify([event.instance.state, event.instance.phase?.name, event.instance.address, event.machineState]);
      if (outcome) return { ...event, outcome };
      if (key !== last) {
        options.notify(event);
        last = key;
      }
      const left = deadline - Date.now();
      if (left <= 0) return { ...event, outcome: 'timeout' };
      if (options.signal.aborted) return { ...event, outcome: 'timeout' };
      await new Promise<void>((resolve) => {
        const stop = new AbortController();
        wake = () => stop.abort();
        const onAbort = (): void => stop.abort();
        options.signal.addEventListener('abort', onAbort, { once: true });
        sleep(Math.min(left, options.pollMs ?? WATCH_POLL_MS), undefined, { signal: stop.signal })
          .catch(() => undefined)
          .finally(() => {
            options.signal.removeEventListener('abort', onAbort);
            wake = undefined;
            resolve();
          });
      });
    }
  } finally {
    unsubscribe();
  }
}

function snapshot(store: WatchStore, options: WatchOptions): InstanceEvent {
  const instance = store.getInstance(options.id, options.tenant);
  const machine = store.getMachine(instance.machineId);
  const failed = machine.state === 'error' && instance.state !== 'released';
  const error =
    failed && machine.lastError
      ? { message: machine.lastError.message, class: machine.lastError.class, ...(options.withHint ? { hint: machine.lastError.hint } : {}) }
      : null;
  return { instance, machineState: machine.state, error };
}

function outcomeOf(event: InstanceEvent): WatchOutcome | undefined {
  if (event.error) return 'failed';
  if (event.instance.state === 'deployed' || event.instance.state === 'released') return event.instance.state;
  if (event.instance.state === 'allocated' && event.machineState === 'allocated' && !requestsImage(event.instance.request)) return 'allocated';
  return undefined;
}

function requestsImage(request: unknown): boolean {
  return typeof request === 'object' && request !== null && typeof (request as Record<string, unknown>).image === 'string';
}
