/**
 * The reconcile steps that need only the BMC: out-of-band inspection (`inspecting →
 * ready`) and the return of a released machine (`releasing → ready`, powered off). Each
 * is safe to repeat; BMC hiccups are retried a few times before the machine goes to error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BmcClient } from '../bmc/driver.ts';
import type { Store } from '../state/store.ts';
import type { Machine } from '../state/records.ts';
import { withMachineBmc, type ConnectBmc } from './machine-bmc.ts';
import { classifyBmcFailure } from './power-sync.ts';
import { RECONCILER_ACTOR, StepFailure, type ReconcileStep } from './reconciler.ts';

export type StepStore = Pick<Store, 'recordInventory' | 'transition'>;

export interface BmcStepOptions {
  store: StepStore;
  connect: ConnectBmc;
  /** Attempts of one BMC operation before the step fails; default 3. */
  attempts?: number;
  /** Wait after the first failed attempt, doubled after each; default 2 s. */
  retryBaseMs?: number;
}

/** Reads what the BMC knows of the machine, keeps it, and makes the machine ready. */
export function inspectOutOfBand(options: BmcStepOptions): ReconcileStep {
  return async (machine, signal) => {
    const inventory = await bmcOperation(options, machine, 'inventory read', signal, async (client) => {
      if (!client.inventory) {
        throw new StepFailure('bmc', `the ${machine.bmc.driver} BMC of ${machine.name} cannot report an inventory`, 'inspect it in band (network boot) or describe its class by hand');
      }
      return client.inventory(signal);
    });
    options.store.recordInventory(machine.id, inventory, RECONCILER_ACTOR, 'out-of-band');
    options.store.transition(machine.id, 'inspecting', 'ready', RECONCILER_ACTOR, { source: 'out-of-band' });
  };
}

/** Powers a released machine off and returns it to the pool. */
export function releaseToPool(options: BmcStepOptions): ReconcileStep {
  return async (machine, signal) => {
    await bmcOperation(options, machine, 'power off', signal, async (client) => {
      if (!client.setPower) throw new StepFailure('bmc', `the ${machine.bmc.driver} BMC of ${machine.name} cannot switch power`, 'check that the driver suits this BMC');
      await client.setPower('off', signal);
    });
    options.store.transition(machine.id, 'releasing', 'ready', RECONCILER_ACTOR, { powered: 'off' });
  };
}

/** One BMC operation with retries; a failure that is not the BMC's (a StepFailure) is not retried. */
export async function bmcOperation<T>(
  options: Pick<BmcStepOptions, 'connect' | 'attempts' | 'retryBaseMs'>,
  machine: Machine,
  operation: string,
  signal: AbortSignal,
  use: (client: BmcClient) => Promise<T>,
): Promise<T> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withMachineBmc(options.connect, machine, use);
    } catch (err) {
      if (err instanceof StepFailure) throw err;
      const failure = classifyBmcFailure(err, machine, operation);
      const permanent = failure.code === 'BMC_CONFIG' || failure.code === 'BMC_SECRET_FILE' || failure.code === 'BMC_AUTH';
      if (permanent || attempt >= attempts || signal.aborted) {
        throw new StepFailure('bmc', `${failure.reason} (after ${attempt} ${attempt === 1 ? 'attempt' : 'attempts'})`, failure.hint, { cause: err });
      }
      await sleep((options.retryBaseMs ?? 2_000) * 2 ** (attempt - 1), undefined, { signal }).catch(() => undefined);
    }
  }
}
