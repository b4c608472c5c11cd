/**
 * `nimbusd machine inspect`: moves an enrolled machine (or one in error) to `inspecting`,
 * reads its inventory from the BMC at once, and makes it ready. If a running daemon's
 * reconcile loop gets there first, its result stands and is shown.
 */
import { NimbusError } from '@nimbus/core';
import type { Actor } from '../state/audit.ts';
import { StaleStateError } from '../state/errors.ts';
import type { Machine } from '../state/records.ts';
import { machineBmcConnector, type ConnectBmc } from './machine-bmc.ts';
import { cliActor, findMachine, openStore } from './machines.ts';
import { StepFailure } from './reconciler.ts';
import { inspectOutOfBand } from './steps.ts';

/** The machine is not in a state inspection starts from. */
export class InspectRefusedError extends NimbusError {
  readonly code = 'INSPECT_REFUSED';
}

/** The inspection failed; the machine is in `error` with this reason and hint. */
export class InspectFailedError extends NimbusError {
  readonly code = 'INSPECT_FAILED';
}

export async function inspectMachine(stateDir: string, ref: string, options: { actor?: Actor; connect?: ConnectBmc; signal?: AbortSignal } = {}): Promise<Machine> {
  const actor = options.actor ?? cliActor();
  const store = openStore(stateDir);
  try {
    let machine = findMachine(store, ref);
    if (machine.state === 'enrolled' || machine.state === 'error') {
      machine = store.transition(machine.id, machine.state, 'inspecting', actor, { reason: 'operator' });
    } else if (machine.state !== 'inspecting') {
      throw new InspectRefusedError(
        `machine ${machine.name} is ${machine.state}; only an enrolled machine or one in error is inspected (its last inventory: nimbusd machine show ${machine.name} --json)`,
      );
    }
    const step = inspectOutOfBand({ store, connect: options.connect ?? machineBmcConnector() });
    try {
      await step(machine, options.signal ?? new AbortController().signal);
    } catch (err) {
      if (err instanceof StaleStateError) return store.getMachine(machine.id); // the daemon finished it first
      if (err instanceof StepFailure) {
        store.transition(machine.id, 'inspecting', 'error', actor, { error: err.message, errorClass: err.errorClass, hint: err.hint });
        throw new InspectFailedError(`inspecting ${machine.name} failed: ${err.message}; ${err.hint}`, { cause: err });
      }
      throw err;
    }
    return store.getMachine(machine.id);
  } finally {
    store.close();
  }
}
