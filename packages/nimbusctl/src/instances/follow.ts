/**
 * Following instances as they deploy: one step per phase (allocated, power, pxe, image,
 * ssh, deployed) with the time since following began. Detaching (Ctrl-C) closes the
 * sessions; the instances keep deploying at the provider.
 */
import type { InstanceProgress, ProviderSession } from './provider-api.ts';

/** What each step means to a user watching it. */
export const STEP_LABELS: Readonly<Record<string, string>> = {
  allocated: 'allocated a machine',
  power: 'power: set to network boot and powered on',
  pxe: 'pxe: network-booting the deploy ramdisk',
  image: 'image: writing the OS image to disk',
  ssh: 'ssh: rebooted from disk, waiting for SSH',
  wipe: 'wipe: erasing the disk',
  deploying: 'deploying',
  deployed: 'deployed, SSH is up',
  releasing: 'releasing',
  released: 'released',
};

/** The step an event shows: its deploy phase while deploying, else its state. */
export function stepOf(event: InstanceProgress): string {
  const { instance } = event;
  if (event.error) return 'failed';
  if (instance.state === 'deploying' || instance.state === 'releasing') return instance.phase?.name ?? instance.state;
  return instance.state;
}

/** "3.2s", "1m04s": elapsed time for progress lines. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

export interface Step {
  id: string;
  step: string;
  label: string;
  elapsedMs: number;
  event: InstanceProgress;
}

/** Keeps the last step per instance and tells only the changes. */
export class StepTracker {
  readonly #last = new Map<string, string>();
  readonly #start: number;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#start = now();
  }

  /** The new step this event shows, or undefined when it shows the same one as before. */
  see(event: InstanceProgress): Step | undefined {
    const id = event.instance.id;
    const step = stepOf(event);
    if (this.#last.get(id) === step) return undefined;
    this.#last.set(id, step);
    const label = step === 'failed' ? `failed: ${event.error?.message ?? 'the deploy failed'}` : (STEP_LABELS[step] ?? step);
    return { id, step, label, elapsedMs: this.#now() - this.#start, event };
  }
}

export interface Followed {
  id: string;
  /** The last event, with its outcome; undefined when detached or the provider went away first. */
  last?: InstanceProgress;
  /** Why following ended without an outcome. */
  error?: string;
}

/**
 * Follows each instance over its session until it reaches an outcome. `signal` detaches:
 * the sessions are closed (by the caller) and every pending follow ends with no outcome.
 */
export async function followInstances(
  targets: readonly { id: string; session: ProviderSession }[],
  onEvent: (event: InstanceProgress) => void,
  options: { timeoutSeconds?: number } = {},
): Promise<Followed[]> {
  return Promise.all(
    targets.map(async ({ id, session }): Promise<Followed> => {
      try {
        const last = await session.watch(id, onEvent, options.timeoutSeconds);
        onEvent(last);
        return { id, last };
      } catch (err) {
        return { id, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}
