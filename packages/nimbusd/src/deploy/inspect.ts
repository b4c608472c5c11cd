/**
 * In-band inspection: the machine network-boots the ramdisk in `inspect` mode, which
 * reports what the running hardware shows (CPUs, memory, every disk, every NIC with its
 * MAC and speed: more than most BMCs know), then powers off. The inventory is kept with
 * the machine and it becomes ready. Safe to repeat: an interrupted inspection starts over.
 */
import { RECONCILER_ACTOR, StepFailure, type ReconcileStep } from '../machines/reconciler.ts';
import type { Store } from '../state/store.ts';
import type { AgentInventory } from './agent-messages.ts';
import { inBootSession, openBootSession } from './boot-session-run.ts';
import { powerPhase, pxePhase, ramdiskResult, type DeployFlowOptions } from './flow.ts';

export interface InspectOptions extends Pick<DeployFlowOptions, 'sessions' | 'events' | 'tokens' | 'connect' | 'boot' | 'logger' | 'retryBaseMs'> {
  store: Pick<Store, 'recordInventory' | 'transition'>;
}

/** How long the ramdisk may take from its instructions to its report. */
const REPORT_TIMEOUT_MS = 300_000;

export function inspectInBand(options: InspectOptions): ReconcileStep {
  return async (machine, signal) => {
    const session = openBootSession(options, { machineId: machine.id, mode: 'inspect' });
    await inBootSession(options, session, signal, async () => {
      let current = await powerPhase(options, machine, session, signal);
      current = await pxePhase(options, machine, current, signal);
      let inventory: AgentInventory | undefined;
      const event = await ramdiskResult(options, machine, current, REPORT_TIMEOUT_MS, signal, (e) => {
        if (e.type === 'inventory') inventory = e.inventory;
      });
      event.respond('poweroff');
      if (event.result.status === 'failed' || !inventory) {
        const why = event.result.status === 'failed' ? event.result.message || event.result.class : 'it reported a result but no inventory';
        throw new StepFailure('callback', `in-band inspection of ${machine.name} failed: ${why}`, "check the ramdisk's console log on the machine");
      }
      options.store.recordInventory(machine.id, inventory, RECONCILER_ACTOR, 'in-band');
      options.store.transition(machine.id, 'inspecting', 'ready', RECONCILER_ACTOR, { source: 'in-band' });
      options.sessions.end(session.id, { status: 'ok' });
    });
  };
}
