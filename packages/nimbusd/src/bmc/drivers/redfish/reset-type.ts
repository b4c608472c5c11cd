import { BmcUnsupportedError } from '../../errors.ts';
import type { PowerAction, PowerState } from '../../power.ts';

/** Redfish `PowerState` → ours. Transitional states count as where they are heading. */
export function toPowerState(value: unknown): PowerState {
  if (value === 'On' || value === 'PoweringOn') return 'on';
  if (value === 'Off' || value === 'PoweringOff') return 'off';
  return 'unknown';
}

/** What a service accepts when it does not list `ResetType@Redfish.AllowableValues`. */
export const DEFAULT_RESET_TYPES: readonly string[] = ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart'];

/** ResetTypes for each action, best first; a nested list is a sequence sent in order. */
const PREFERENCES: Record<PowerAction, readonly (string | readonly string[])[]> = {
  on: ['On', 'ForceOn', 'PushPowerButton'],
  off: ['ForceOff'],
  'soft-off': ['GracefulShutdown', 'PushPowerButton'],
  cycle: ['PowerCycle', ['ForceOff', 'On'], ['ForceOff', 'ForceOn']],
  reset: ['ForceRestart'],
};

/**
 * The ResetTypes to POST, in order, to carry out `action` on a machine in state `current`.
 * An empty list means nothing needs doing (`on` when on, `off` when off). A machine that
 * is off is powered on by `cycle` and `reset`, per PowerSetter's contract.
 */
export function resetTypesFor(action: PowerAction, current: PowerState, allowed: readonly string[]): string[] {
  if (current === 'unknown') throw new BmcUnsupportedError(`refusing power ${action}: the power state is unknown`);
  if (current === 'on' && action === 'on') return [];
  if (current === 'off' && (action === 'off' || action === 'soft-off')) return [];
  const effective: PowerAction = current === 'off' ? 'on' : action;
  for (const choice of PREFERENCES[effective]) {
    const steps = typeof choice === 'string' ? [choice] : [...choice];
    if (steps.every((s) => allowed.includes(s))) return steps;
  }
  throw new BmcUnsupportedError(`power ${action}: the BMC allows no suitable ResetType (it allows ${allowed.join(', ') || 'none'})`);
}
