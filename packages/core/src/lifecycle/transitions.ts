import { MACHINE_STATES, type MachineState } from './machine-state.ts';

/**
 * The forward path of a machine, one step at a time. `error` is reachable from every
 * other state and is handled apart (see ERROR_RETRY_TARGETS), so it is not listed here.
 *
 * `allocated → releasing` is the one step not drawn in DESIGN.md's diagram: a tenant may
 * give an instance back before its deploy starts, and the machine must still be wiped
 * and returned through `releasing`, never straight to `ready`.
 */
const FORWARD: Readonly<Record<MachineState, readonly MachineState[]>> = {
  enrolled: ['inspecting'],
  inspecting: ['ready'],
  ready: ['allocated'],
  allocated: ['deploying', 'releasing'],
  deploying: ['deployed'],
  deployed: ['releasing'],
  releasing: ['ready'],
  error: [],
};

/**
 * Where an operator (or the reconcile loop) may send a machine out of `error`:
 * inspect it again, retry the deploy it failed, or wipe and return it to the pool.
 * Never straight to `ready` or `deployed`: those claim facts that only a successful
 * step can establish.
 */
export const ERROR_RETRY_TARGETS: readonly MachineState[] = ['inspecting', 'deploying', 'releasing'];

/** The verdict on one proposed transition; `reason` says why a refused one is refused. */
export type TransitionVerdict = { allowed: true } | { allowed: false; reason: string };

/** Every state a machine in `from` may move to, in lifecycle order. */
export function nextStates(from: MachineState): readonly MachineState[] {
  if (from === 'error') return ERROR_RETRY_TARGETS;
  return [...FORWARD[from], 'error'];
}

/** Whether a machine may move from `from` to `to`, and if not, why not. */
export function checkTransition(from: MachineState, to: MachineState): TransitionVerdict {
  if (from === to) return { allowed: false, reason: `the machine is already ${from}` };
  if (nextStates(from).includes(to)) return { allowed: true };
  if (from === 'error') {
    return {
      allowed: false,
      reason: `a machine in error can only be retried to ${ERROR_RETRY_TARGETS.join(', ')}, not ${to}`,
    };
  }
  return {
    allowed: false,
    reason: `${from} → ${to} is not a lifecycle step; from ${from} a machine can go to ${nextStates(from).join(', ')}`,
  };
}

/** Shorthand for `checkTransition(from, to).allowed`. */
export function canTransition(from: MachineState, to: MachineState): boolean {
  return checkTransition(from, to).allowed;
}

/** Every allowed (from, to) pair; the table the tests and docs are checked against. */
export function allowedTransitions(): Array<readonly [MachineState, MachineState]> {
  return MACHINE_STATES.flatMap((from) => nextStates(from).map((to) => [from, to] as const));
}
