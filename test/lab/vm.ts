/**
 * One qemu VM in a LabNetwork: its own tap on the bridge, a raw disk that persists across
 * power cycles, a serial log, and power and boot-device control (VmController, which the
 * BMCs share through the VM's state folder).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectAccel } from './accel.ts';
import { LabConfigError, LabTimeoutError } from './errors.ts';
import type { LabNetwork } from './network.ts';
import { OVMF_VARS } from './prerequisites.ts';
import { plainSerialText } from './sercon.ts';
import { assertVmName, type BootDevice, type BootState, type Firmware, type LabNic, VmController, type VmPowerState } from './vm-control.ts';

export const DEFAULT_DISK_MIB = 64;
/** SeaBIOS + iPXE + a small Linux fit in 256 MiB; OVMF wants more. */
export const DEFAULT_MEMORY_MIB: Record<Firmware, number> = { bios: 256, uefi: 512 };

export interface LabVmOptions {
  /** Letters, digits, '.', '_', '-'; unique within the network. */
  name: string;
  /** Default `bios` (SeaBIOS, machine pc); `uefi` is OVMF on q35. */
  firmware?: Firmware;
  /** Default `e1000` (qemu's iPXE option ROM boots). */
  nic?: LabNic;
  /** Default: 52:54:00 plus three bytes from the network and VM names. */
  mac?: string;
  /** Default DEFAULT_MEMORY_MIB for the firmware. */
  memoryMiB?: number;
  /** Default `<vm state dir>/disk.raw` of DEFAULT_DISK_MIB; created sparse when missing, used as it is otherwise. */
  disk?: { path?: string; sizeMiB?: number };
  /** Default `<network dir>/logs/<name>.serial.log`. */
  serialLog?: string;
  /** Also serve the serial port on the namespace's 127.0.0.1 at this TCP port (for a BMC's SOL). */
  serialPort?: number;
}

function defaultMac(network: string, name: string): string {
  const h = createHash('sha256').update(`${network}/${name}`).digest();
  return ['52', '54', '00', ...[h[0], h[1], h[2]].map((b) => (b as number).toString(16).padStart(2, '0'))].join(':');
}

export class LabVm {
  readonly network: LabNetwork;
  readonly controller: VmController;

  private constructor(network: LabNetwork, controller: VmController) {
    this.network = network;
    this.controller = controller;
  }

  /** Prepares the VM (tap, disk, firmware variables, state folder); it starts powered off. */
  static async create(network: LabNetwork, options: LabVmOptions): Promise<LabVm> {
    const firmware = options.firmware ?? 'bios';
    assertVmName(options.name);
    const stateDir = join(network.dir, 'vms', options.name);
    if (existsSync(join(stateDir, 'vm.json'))) throw new LabConfigError(`${network.name} has a VM named "${options.name}" already`);
    mkdirSync(stateDir, { recursive: true });
    const diskPath = options.disk?.path ?? join(stateDir, 'disk.raw');
    if (!existsSync(diskPath)) {
      mkdirSync(dirname(diskPath), { recursive: true });
      writeFileSync(diskPath, '');
      truncateSync(diskPath, (options.disk?.sizeMiB ?? DEFAULT_DISK_MIB) * 1024 * 1024); // sparse
    }
    let ovmfVars: string | undefined;
    if (firmware === 'uefi') {
      ovmfVars = join(stateDir, 'OVMF_VARS.fd');
      if (!existsSync(ovmfVars)) copyFileSync(OVMF_VARS, ovmfVars);
    }
    const controller = VmController.create(stateDir, {
      name: options.name,
      netns: network.name,
      tap: network.addTap(),
      firmware,
      nic: options.nic ?? 'e1000',
      mac: (options.mac ?? defaultMac(network.name, options.name)).toLowerCase(),
      memoryMiB: options.memoryMiB ?? DEFAULT_MEMORY_MIB[firmware],
      diskPath,
      serialLog: options.serialLog ?? join(network.dir, 'logs', `${options.name}.serial.log`),
      ...(options.serialPort !== undefined ? { serialPort: options.serialPort } : {}),
      accel: await detectAccel(),
      ...(ovmfVars !== undefined ? { ovmfVars } : {}),
    });
    return new LabVm(network, controller);
  }

  get name(): string {
    return this.controller.spec.name;
  }

  get mac(): string {
    return this.controller.spec.mac;
  }

  get tap(): string {
    return this.controller.spec.tap;
  }

  get firmware(): Firmware {
    return this.controller.spec.firmware;
  }

  get diskPath(): string {
    return this.controller.spec.diskPath;
  }

  get serialLog(): string {
    return this.controller.spec.serialLog;
  }

  /** The folder with vm.json, boot.json, qemu.pid, qmp.sock: what the BMC processes open. */
  get stateDir(): string {
    return this.controller.stateDir;
  }

  powerOn(): Promise<void> {
    return this.controller.powerOn();
  }

  /** Hard off. */
  powerOff(): Promise<void> {
    return this.controller.powerOff();
  }

  /** Hard reset (in place); powers on a VM that is off. */
  reset(): Promise<void> {
    return this.controller.reset();
  }

  powerCycle(): Promise<void> {
    return this.controller.powerCycle();
  }

  powerState(): Promise<VmPowerState> {
    return this.controller.powerState();
  }

  /** Applied at the next powerOn()/reset(); `once`: only for that boot, then the persistent device again. */
  setBootDevice(device: BootDevice, options: { once?: boolean } = {}): Promise<void> {
    return this.controller.setBootDevice(device, options);
  }

  bootState(): BootState {
    return this.controller.bootState();
  }

  /** How many bytes of serial output there are now: pass it as `from` to wait only for what comes after. */
  serialMark(): number {
    try {
      return statSync(this.serialLog).size;
    } catch {
      return 0;
    }
  }

  /** Everything the serial port printed (all power cycles), without ANSI escapes and CRs. */
  serialText(from = 0): string {
    try {
      return plainSerialText(readFileSync(this.serialLog).subarray(from).toString('latin1'));
    } catch {
      return '';
    }
  }

  /** Waits until the serial text (from byte `from`) matches `re`; returns the match. */
  async waitForSerial(re: RegExp, timeoutMs: number, options: { from?: number } = {}): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.serialText(options.from ?? 0).match(re);
      if (m) return m;
      if (Date.now() > deadline) {
        const tail = this.serialText(options.from ?? 0).trimEnd().split('\n').slice(-6).join('\n');
        throw new LabTimeoutError(`VM ${this.name}: no ${re} on the serial port within ${timeoutMs} ms (${this.serialLog}); last lines:\n${tail}`);
      }
      await sleep(50);
    }
  }

  /** Powers the VM off (its disk and state stay until the network is destroyed). */
  async destroy(): Promise<void> {
    await this.controller.powerOff();
  }
}
