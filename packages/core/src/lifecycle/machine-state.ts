/**
 * The states a machine passes through at a provider site (DESIGN.md, "Machine lifecycle"):
 *
 *   enrolled → inspecting → ready → allocated → deploying → deployed → releasing → ready
 *
 * and `error` from anywhere, which keeps the last error until a retry or an operator acts.
 */
export const MACHINE_STATES = [
  'enrolled',
  'inspecting',
  'ready',
  'allocated',
  'deploying',
  'deployed',
  'releasing',
  'error',
] as const;

export type MachineState = (typeof MACHINE_STATES)[number];

const STATE_SET: ReadonlySet<string> = new Set(MACHINE_STATES);

/** Narrows a string read from storage or the wire to a machine state. */
export function isMachineState(value: unknown): value is MachineState {
  return typeof value === 'string' && STATE_SET.has(value);
}
