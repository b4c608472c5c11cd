/**
 * A SystemBackend whose system is a lab VM: ComputerSystem.Reset powers the qemu VM, a
 * Boot override sets its next boot device. The VM is reached through its state folder
 * (test/lab/vm-control.ts), so the emulator can run in its own process, inside the lab's
 * network namespace, while the test and an IPMI BMC act on the same VM.
 */
import { type BootDevice, VmController } from '../lab/vm-control.ts';
import { RedfishHttpError } from './redfish-error.ts';
import type { RedfishBootOverride, RedfishPowerState, SystemBackend } from './system-backend.ts';

/** BootSourceOverrideTarget values the lab has a device for; "None" is no override. */
const TARGETS: Record<string, BootDevice> = { Pxe: 'pxe', Hdd: 'disk', None: 'disk' };

export class QemuSystemBackend implements SystemBackend {
  readonly vm: VmController;
  /** Every ResetType applied, oldest first. */
  readonly resets: string[] = [];

  constructor(vm: VmController) {
    this.vm = vm;
  }

  /** The backend of the VM whose state folder (or its vm.json) is `path`. */
  static open(path: string): QemuSystemBackend {
    return new QemuSystemBackend(VmController.open(path));
  }

  async powerState(): Promise<RedfishPowerState> {
    return (await this.vm.powerState()) === 'on' ? 'On' : 'Off';
  }

  async power(resetType: string): Promise<void> {
    this.resets.push(resetType);
    switch (resetType) {
      case 'On':
      case 'ForceOn':
        return this.vm.powerOn();
      // The lab's guests (iPXE, busybox) have no ACPI handler: a graceful shutdown would never end.
      case 'ForceOff':
      case 'GracefulShutdown':
        return this.vm.powerOff();
      case 'ForceRestart':
      case 'GracefulRestart':
        return this.vm.reset();
      case 'PowerCycle':
      case 'FullPowerCycle':
        return this.vm.powerCycle();
      case 'PushPowerButton':
        return (await this.vm.powerState()) === 'on' ? this.vm.powerOff() : this.vm.powerOn();
      case 'Nmi':
        return this.vm.injectNmi();
      default:
        // Suspend, Pause, Resume: the emulator leaves PowerState as it is, and so does the VM.
        return;
    }
  }

  async bootOverride(override: RedfishBootOverride): Promise<void> {
    if (override.enabled === 'Disabled') return this.vm.setBootDevice('disk');
    const device = TARGETS[override.target];
    if (device === undefined) {
      throw new RedfishHttpError(400, 'PropertyValueNotInList', `The lab VM ${this.vm.spec.name} has no ${override.target} device; use Pxe or Hdd.`);
    }
    return this.vm.setBootDevice(device, { once: override.enabled === 'Once' });
  }
}
