/**
 * What the boot service hears about a boot session, delivered to the deploy flow that
 * waits for it: the machine's DHCP request, its fetch of the iPXE script, the ramdisk's
 * fetch of its instructions, progress, inventory and result. The result carries a
 * `respond` the flow answers with the action the ramdisk takes next.
 */
import { EventEmitter } from 'node:events';
import type { AgentInventory, AgentProgress, AgentResult } from './agent-messages.ts';

export type RamdiskAction = 'reboot' | 'poweroff' | 'wait';

export type BootEvent =
  | { type: 'dhcp'; arch: string }
  | { type: 'script'; from: string | undefined }
  | { type: 'instructions'; from: string | undefined }
  | { type: 'progress'; progress: AgentProgress }
  | { type: 'inventory'; inventory: AgentInventory }
  | { type: 'result'; result: AgentResult; respond(action: RamdiskAction): void };

/** The wait for an event ended without it. */
export class BootEventTimeout extends Error {
  readonly code = 'BOOT_EVENT_TIMEOUT';
}

export class BootEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per waiting flow; hundreds of deploys at once are normal.
    this.#emitter.setMaxListeners(0);
  }

  emit(sessionId: string, event: BootEvent): void {
    this.#emitter.emit(sessionId, event);
  }

  /**
   * Resolves with the first event `accept` returns true for, calling `onOther` for the
   * others; rejects with BootEventTimeout after `timeoutMs`, or when `signal` aborts.
   */
  waitFor<E extends BootEvent>(
    sessionId: string,
    accept: (event: BootEvent) => event is E,
    options: { timeoutMs: number; signal: AbortSignal; onOther?: (event: BootEvent) => void },
  ): Promise<E> {
    return new Promise<E>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#emitter.off(sessionId, listener);
        options.signal.removeEventListener('abort', onAbort);
      };
      const listener = (event: BootEvent): void => {
        if (accept(event)) {
          done();
          resolve(event);
        } else options.onOther?.(event);
      };
      const onAbort = (): void => {
        done();
        reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new BootEventTimeout(`no event within ${Math.round(options.timeoutMs / 1000)} s`));
      }, options.timeoutMs);
      this.#emitter.on(sessionId, listener);
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
