/** What the BMC says of the machine's power. `unknown` is never answered with a power action. */
export type PowerState = 'on' | 'off' | 'unknown';

/**
 * on: power on; off: hard power off; soft-off: ask the OS to shut down (ACPI);
 * cycle: off then on; reset: warm reset without removing power.
 */
export type PowerAction = 'on' | 'off' | 'soft-off' | 'cycle' | 'reset';
export const POWER_ACTIONS: readonly PowerAction[] = ['on', 'off', 'soft-off', 'cycle', 'reset'];

export interface PowerGetter {
  /** Reads the power state; changes nothing. */
  powerState(signal?: AbortSignal): Promise<PowerState>;
}

export interface PowerSetter {
  /**
   * Idempotent where the action allows: `on` of a machine that is on and `off` of one
   * that is off succeed without sending anything. `cycle` and `reset` of a machine
   * that is off power it on. A machine whose state reads `unknown` is not touched:
   * the call fails rather than guess.
   */
  setPower(action: PowerAction, signal?: AbortSignal): Promise<void>;
}
