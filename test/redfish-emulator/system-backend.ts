/**
 * What stands behind one emulated ComputerSystem. The in-memory backend keeps power and
 * boot override as plain state; a qemu-backed one (later) maps the same calls onto QMP:
 * power → start/stop the VM, boot override → the VM's next boot device.
 */

/** Redfish `PowerState` values the emulator reports. */
export type RedfishPowerState = 'On' | 'Off';

/** The `Boot.BootSourceOverride*` triple, with Redfish's own spelling of the values. */
export interface RedfishBootOverride {
  target: string;
  enabled: string;
  mode?: string;
}

export interface SystemBackend {
  powerState(): Promise<RedfishPowerState>;
  /** Applies a `ComputerSystem.Reset` ResetType that the emulator has already validated. */
  power(resetType: string): Promise<void>;
  /** Told of every accepted Boot PATCH, after validation. */
  bootOverride(override: RedfishBootOverride): Promise<void>;
}

/** The PowerState a ResetType leads to, from `current`. Nmi changes nothing. */
export function powerStateAfter(resetType: string, current: RedfishPowerState): RedfishPowerState {
  switch (resetType) {
    case 'ForceOff':
    case 'GracefulShutdown':
      return 'Off';
    case 'PushPowerButton':
      return current === 'On' ? 'Off' : 'On';
    case 'Nmi':
    case 'Suspend':
    case 'Pause':
      return current;
    default:
      // On, ForceOn, GracefulRestart, ForceRestart, PowerCycle, FullPowerCycle, Resume:
      // every one of them ends with the machine running.
      return 'On';
  }
}

/** The default backend: state in memory, changed at once. */
export class InMemorySystemBackend implements SystemBackend {
  state: RedfishPowerState;
  lastBootOverride: RedfishBootOverride | undefined;
  /** Every ResetType applied, oldest first, so tests can see what a client sent. */
  readonly resets: string[] = [];

  constructor(initial: RedfishPowerState) {
    this.state = initial;
  }

  async powerState(): Promise<RedfishPowerState> {
    return this.state;
  }

  async power(resetType: string): Promise<void> {
    this.resets.push(resetType);
    this.state = powerStateAfter(resetType, this.state);
  }

  async bootOverride(override: RedfishBootOverride): Promise<void> {
    this.lastBootOverride = override;
  }
}
