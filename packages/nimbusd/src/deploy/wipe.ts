/**
 * Wiping a released machine's disk before it returns to the pool: the same network boot
 * as a deploy (boot override PXE, power, the ramdisk) in `wipe` mode, then the ramdisk
 * powers off and the usual release step finishes. Safe to repeat: an interrupted wipe
 * starts over with a new token.
 */
import { StepFailure, type ReconcileStep } from '../machines/reconciler.ts';
import type { Store } from '../state/store.ts';
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
      const stale = options.sessions.openFor(machine.id);
      if (stale) {
        options.sessions.end(stale.id, { status: 'abandoned', reason: 'the wipe started over (nimbusd restarted mid-boot)' });
        options.tokens.delete(stale.id);
      }
      const { session, token } = options.sessions.open({ machineId: machine.id, instanceId: instance.id, mode: 'wipe', phase: 'power', detail: { wipe: instance.wipe } });
      options.tokens.set(session.id, token);
      options.store.updateInstanceProgress(instance.id, { phase: 'wipe' });
      try {
        let current = await powerPhase(options, machine, session, signal);
        current = await pxePhase(options, machine, current, signal);
        const event = await ramdiskResult(options, machine, current, options.boot.imageTimeoutSeconds * 1000, signal);
        event.respond('poweroff');
        if (event.result.status === 'failed') {
          throw new StepFailure('disk_write', `wiping the disk of ${machine.name} failed: ${event.result.message || event.result.class}`, "check the machine's disk and the ramdisk's console log");
        }
        options.sessions.end(session.id, { status: 'ok', wiped: instance.wipe });
        options.logger.info({ machine: machine.id, instance: instance.id, wipe: instance.wipe }, 'disk wiped');
      } catch (err) {
        if (!signal.aborted) options.sessions.end(session.id, { status: 'failed', ...(err instanceof StepFailure ? { class: err.errorClass } : {}) });
        throw err;
      } finally {
        options.tokens.delete(session.id);
      }
    }
    await options.then(machine, signal);
  };
}
