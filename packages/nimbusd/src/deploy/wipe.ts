/**
 * Wiping a released machine's disk before it returns to the pool: the same network boot
 * as a deploy (boot override PXE, power, the ramdisk) in `wipe` mode, then the ramdisk
 * powers off and the usual release step finishes. Safe to repeat: an interrupted wipe
 * starts over with a new token.
 */
import { StepFailure, type ReconcileStep } from '../machines/reconciler.ts';
import type { Store } from '../state/store.ts';
import { inBootSession, openBootSession } from './boot-session-run.ts';
import { powerPhase, pxePhase, ramdiskResult, type DeployFlowOptions } from './flow.ts';

export interface WipeOptions extends Omit<DeployFlowOptions, 'store' | 'catalog' | 'sshPort'> {
  store: Pick<Store, 'liveInstanceOf' | 'updateInstanceProgress'>;
  /** What happens once the disk is clean (or when no wipe was asked for): power off and back to the pool. */
  then: ReconcileStep;
}

export function wipeThenRelease(options: WipeOptions): ReconcileStep {
  return async (machine, signal) => {
    const instance = options.store.liveInstanceOf(machine.id);
    if (instance?.wipe) {
      const session = openBootSession(options, { machineId: machine.id, instanceId: instance.id, mode: 'wipe', detail: { wipe: instance.wipe } });
      options.store.updateInstanceProgress(instance.id, { phase: 'wipe' });
      await inBootSession(options, session, signal, async () => {
        let current = await powerPhase(options, machine, session, signal);
        current = await pxePhase(options, machine, current, signal);
        const event = await ramdiskResult(options, machine, current, options.boot.imageTimeoutSeconds * 1000, signal);
        event.respond('poweroff');
        if (event.result.status === 'failed') {
          throw new StepFailure('disk_write', `wiping the disk of ${machine.name} failed: ${event.result.message || event.result.class}`, "check the machine's disk and the ramdisk's console log");
        }
        options.sessions.end(session.id, { status: 'ok', wiped: instance.wipe });
        options.logger.info({ machine: machine.id, instance: instance.id, wipe: instance.wipe }, 'disk wiped');
      });
    }
    await options.then(machine, signal);
  };
}
