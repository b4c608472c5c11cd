/**
 * Power and boot device of one lab VM, driven from any process: LabVm in the test, the
 * Redfish emulator's qemu backend and the IPMI chassis program (both inside the lab's
 * namespace). Everything lives in the VM's state folder: `vm.json` (the spec), `boot.json`
 * (the boot device), `qemu.pid`, `qmp.sock`, `qemu.log`, and a `lock` folder that
 * serializes actions across processes.
 *
 * Boot device: the NIC is bootindex 1 ("pxe": NIC first, then the disk) or has no
 * bootindex ("disk": the disk only), with `-boot strict=on` (NOTES §4). qemu rebuilds the
 * firmware's boot order on every reset, guest-initiated ones included, from the devices'
 * bootindex at that moment, so a running VM follows a change at its next reboot with no
 * restart. A one-time device is used by the next powerOn()/reset() made here; as soon as
 * that boot has started the NIC is set back for the persistent device, so a guest's own
 * `reboot -f` comes back from it. (A one-time device set while the VM runs waits for
 * powerOn()/reset(): a guest reboot before that uses the persistent device.)
 *
 * qemu runs with -daemonize, so it outlives whichever process started it; its parent is
 * then PID 1, which may reap it late, so a zombie counts as off (NOTES gotcha 7).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabConfigError, LabTimeoutError, LabVmError } from './errors.ts';
import { OVMF_CODE } from './prerequisites.ts';
import { QmpClient } from './qmp.ts';
import { serconPortFile } from './sercon.ts';

export type Firmware = 'bios' | 'uefi';
/** `virtio-native-pxe`: virtio-net without an option ROM, so OVMF's own PXE runs (NOTES §3b). */
export type LabNic = 'e1000' | 'virtio-native-pxe';
export type BootDevice = 'pxe' | 'disk';
export type VmPowerState = 'on' | 'off';

/** Everything needed to start the VM; written to `vm.json` in the state folder. */
export interface VmSpec {
  name: string;
  /** The network namespace qemu runs in (it opens the tap there). */
  netns: string;
  tap: string;
  firmware: Firmware;
  nic: LabNic;
  mac: string;
  memoryMiB: number;
  /** A raw image, used in place (not a snapshot): writes persist across power cycles. */
  diskPath: string;
  /** qemu appends the serial port's output here, across power cycles. */
  serialLog: string;
  /**
   * When set, the serial port is also a TCP server on the namespace's 127.0.0.1 at this
   * port (for a BMC's Serial over LAN to connect to); the log keeps everything still.
   */
  serialPort?: number;
  accel: 'kvm' | 'tcg';
  /** UEFI only: this VM's own writable copy of OVMF_VARS. */
  ovmfVars?: string;
}

/** `once`, when set, is used by the next powerOn()/reset() and then dropped. */
export interface BootState {
  persistent: BootDevice;
  once?: BootDevice;
}

const NIC_ID = 'nic0';
const NIC_BOOTINDEX = 1;
const DISK_BOOTINDEX = 2;
const LOCK_TIMEOUT_MS = 20_000;
const START_TIMEOUT_MS = 30_000;

/** A VM name is a folder name and part of qemu's command line: keep it plain. */
export function assertVmName(name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(name)) throw new LabConfigError(`VM ${JSON.stringify(name)}: the name must be 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

export function validateSpec(spec: VmSpec): void {
  assertVmName(spec.name);
  const where = `VM ${JSON.stringify(spec.name)}`;
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(spec.mac) || (parseInt(spec.mac.slice(0, 2), 16) & 1) === 1) {
    throw new LabConfigError(`${where}: mac "${spec.mac}" must be a unicast MAC like 52:54:00:12:34:56`);
  }
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 32) throw new LabConfigError(`${where}: memoryMiB must be a whole number ≥ 32, got ${spec.memoryMiB}`);
  if (spec.firmware !== 'bios' && spec.firmware !== 'uefi') throw new LabConfigError(`${where}: firmware must be "bios" or "uefi"`);
  if (spec.nic !== 'e1000' && spec.nic !== 'virtio-native-pxe') throw new LabConfigError(`${where}: nic must be "e1000" or "virtio-native-pxe"`);
  if (spec.serialPort !== undefined && (!Number.isInteger(spec.serialPort) || spec.serialPort < 1 || spec.serialPort > 65535)) {
    throw new LabConfigError(`${where}: serialPort must be a TCP port from 1 to 65535, got ${spec.serialPort}`);
  }
  if (spec.firmware === 'uefi' && spec.ovmfVars === undefined) throw new LabConfigError(`${where}: a UEFI VM needs its own OVMF_VARS copy (ovmfVars)`);
  for (const [setting, path] of [['diskPath', spec.diskPath], ['serialLog', spec.serialLog], ['ovmfVars', spec.ovmfVars ?? '']] as const) {
    // qemu's option syntax splits on commas
    if (path.includes(',')) throw new LabConfigError(`${where}: ${setting} "${path}" must not contain a comma (qemu cannot take it)`);
  }
}

/** The qemu command line (without `qemu-system-x86_64`) for a VM whose NIC boots first or not at all. */
export function qemuArgs(spec: VmSpec, stateDir: string, nicFirst: boolean): string[] {
  const args = ['-name', spec.name, '-accel', spec.accel, '-machine', spec.firmware === 'uefi' ? 'q35' : 'pc', '-m', String(spec.memoryMiB), '-smp', '1', '-display', 'none', '-nodefaults'];
  const serial =
    spec.serialPort === undefined
      ? `file,id=ser0,path=${spec.serialLog},append=on`
      : `socket,id=ser0,host=127.0.0.1,port=${spec.serialPort},server=on,wait=off,logfile=${spec.serialLog},logappend=on`;
  args.push('-chardev', serial, '-serial', 'chardev:ser0');
  if (spec.firmware === 'uefi') {
    args.push('-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${spec.ovmfVars}`);
  } else {
    args.push('-fw_cfg', `name=etc/sercon-port,file=${serconPortFile()}`);
  }
  args.push('-boot', 'strict=on');
  args.push('-drive', `file=${spec.diskPath},if=none,id=disk0-drive,format=raw`, '-device', `virtio-blk-pci,drive=disk0-drive,id=disk0,bootindex=${DISK_BOOTINDEX}`);
  args.push('-netdev', `tap,id=net0,ifname=${spec.tap},script=no,downscript=no`);
  const nicBoot = nicFirst ? `,bootindex=${NIC_BOOTINDEX}` : '';
  const nic = spec.nic === 'e1000' ? `e1000,netdev=net0,id=${NIC_ID},mac=${spec.mac}` : `virtio-net-pci,netdev=net0,id=${NIC_ID},mac=${spec.mac},romfile=`;
  args.push('-device', `${nic}${nicBoot}`);
  args.push('-qmp', `unix:${join(stateDir, 'qmp.sock')},server=on,wait=off`, '-daemonize', '-pidfile', join(stateDir, 'qemu.pid'));
  return args;
}

/** The process state letter from /proc/<pid>/stat, or undefined when there is no such process. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export class VmController {
  readonly stateDir: string;
  readonly spec: VmSpec;

  private constructor(stateDir: string, spec: VmSpec) {
    this.stateDir = stateDir;
    this.spec = spec;
  }

  /** Writes the spec (and a boot state of "disk" unless there is one) into `stateDir`. */
  static create(stateDir: string, spec: VmSpec): VmController {
    validateSpec(spec);
    const socket = join(stateDir, 'qmp.sock');
    if (Buffer.byteLength(socket) > 107 || stateDir.includes(',')) {
      throw new LabConfigError(`VM ${spec.name}: the state folder ${stateDir} makes the QMP socket path too long (max 107 bytes) or has a comma; use a shorter name or folder`);
    }
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'vm.json'), `${JSON.stringify(spec, null, 2)}\n`);
    const controller = new VmController(stateDir, spec);
    try {
      readFileSync(controller.#path('boot.json'));
    } catch {
      controller.#writeBoot({ persistent: 'disk' });
    }
    return controller;
  }

  /** Opens the VM of a state folder, or of its `vm.json`. */
  static open(stateDirOrSpecFile: string): VmController {
    const stateDir = stateDirOrSpecFile.endsWith('.json') ? dirname(stateDirOrSpecFile) : stateDirOrSpecFile;
    let spec: VmSpec;
    try {
      spec = JSON.parse(readFileSync(join(stateDir, 'vm.json'), 'utf8')) as VmSpec;
    } catch (err) {
      throw new LabConfigError(`${stateDir}: no readable vm.json; make the VM with LabVm.create (or VmController.create) first`, { cause: err });
    }
    validateSpec(spec);
    return new VmController(stateDir, spec);
  }

  get qmpSocket(): string {
    return this.#path('qmp.sock');
  }

  /** qemu's pid while it runs (a zombie does not count), else undefined. */
  runningPid(): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(this.#path('qemu.pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const state = processState(pid);
    if (state === undefined || state === 'Z' || state === 'X') return undefined;
    try {
      // A recycled pid would not carry our QMP socket path on its command line.
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.qmpSocket)) return undefined;
    } catch {
      return undefined;
    }
    return pid;
  }

  async powerState(): Promise<VmPowerState> {
    return this.runningPid() === undefined ? 'off' : 'on';
  }

  bootState(): BootState {
    try {
      const state = JSON.parse(readFileSync(this.#path('boot.json'), 'utf8')) as BootState;
      if (state.persistent === 'pxe' || state.persistent === 'disk') return state;
    } catch {
      // missing or half-written by a crash: the default
    }
    return { persistent: 'disk' };
  }

  /** The device the next powerOn()/reset() boots from. */
  nextBootDevice(): BootDevice {
    const state = this.bootState();
    return state.once ?? state.persistent;
  }

  /** Starts the VM (nothing when it runs) from the next boot device. */
  powerOn(): Promise<void> {
    return this.#locked(() => this.#powerOn());
  }

  /** Hard off: qemu is terminated (SIGTERM, then SIGKILL). Nothing when it is off. */
  powerOff(): Promise<void> {
    return this.#locked(() => this.#powerOff());
  }

  /** A hard reset of a running VM in place (same qemu), from the next boot device; powers on an off VM. */
  reset(): Promise<void> {
    return this.#locked(async () => {
      if (this.runningPid() === undefined) return this.#powerOn();
      const state = this.bootState();
      const qmp = await QmpClient.connect(this.qmpSocket);
      try {
        await this.#setNicFirst(qmp, (state.once ?? state.persistent) === 'pxe');
        await qmp.execute('system_reset');
        // The reset (which rebuilds the firmware's boot order) happens after the command
        // returns; only then may the NIC change for the boots after this one.
        await qmp.waitForEvent('RESET');
        if (state.once !== undefined) await this.#consumeOnce(qmp, state);
      } finally {
        qmp.close();
      }
    });
  }

  /** Power off, then on. */
  powerCycle(): Promise<void> {
    return this.#locked(async () => {
      await this.#powerOff();
      await this.#powerOn();
    });
  }

  /** Sets the boot device; `once` applies to the next powerOn()/reset() only, then the persistent one is back. */
  setBootDevice(device: BootDevice, options: { once?: boolean } = {}): Promise<void> {
    if (device !== 'pxe' && device !== 'disk') return Promise.reject(new LabConfigError(`VM ${this.spec.name}: boot device must be "pxe" or "disk", got ${String(device)}`));
    return this.#locked(async () => {
      const state = this.bootState();
      const next: BootState = options.once ? { persistent: state.persistent, once: device } : { persistent: device };
      this.#writeBoot(next);
      if (!options.once && this.runningPid() !== undefined) await this.#withQmp((qmp) => this.#setNicFirst(qmp, device === 'pxe'));
    });
  }

  /** Drops a pending one-time boot device. */
  clearBootOnce(): Promise<void> {
    return this.#locked(async () => {
      this.#writeBoot({ persistent: this.bootState().persistent });
    });
  }

  /** Sends a non-maskable interrupt to a running VM. */
  injectNmi(): Promise<void> {
    return this.#locked(async () => {
      if (this.runningPid() !== undefined) await this.#withQmp((qmp) => qmp.execute('inject-nmi'));
    });
  }

  async #powerOn(): Promise<void> {
    if (this.runningPid() !== undefined) return;
    const state = this.bootState();
    rmSync(this.#path('qemu.pid'), { force: true });
    const log = this.#path('qemu.log');
    writeFileSync(log, `${new Date().toISOString()} power on, boot ${state.once ?? state.persistent}${state.once ? ' (once)' : ''}\n`, { flag: 'a' });
    const code = await this.#runQemu(qemuArgs(this.spec, this.stateDir, (state.once ?? state.persistent) === 'pxe'), log);
    if (code !== 0 || this.runningPid() === undefined) {
      const tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-5).join('\n');
      throw new LabVmError(`VM ${this.spec.name}: qemu did not start (exit ${code}) in netns ${this.spec.netns}: ${tail}`);
    }
    // The firmware's boot order was fixed when qemu started; from now on the NIC follows
    // the persistent device, for the guest's own reboots.
    if (state.once !== undefined) await this.#withQmp((qmp) => this.#consumeOnce(qmp, state));
  }

  /** Runs qemu (inside the namespace) until it has daemonized; its output goes to `log`. */
  #runQemu(args: string[], log: string): Promise<number | null> {
    const fd = openSync(log, 'a');
    try {
      // stdin/stdout/stderr are a file, never our pipes: the IPMI chassis program runs
      // under ipmi_sim's popen(), which waits for EOF on its stdout (NOTES gotcha 6).
      const child = spawn('ip', ['netns', 'exec', this.spec.netns, 'qemu-system-x86_64', ...args], { stdio: ['ignore', fd, fd] });
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
        child.once('error', () => resolve(null));
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    } finally {
      closeSync(fd);
    }
  }

  async #powerOff(): Promise<void> {
    const pid = this.runningPid();
    if (pid !== undefined) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 150 && this.runningPid() !== undefined; i++) await sleep(20);
      if (this.runningPid() !== undefined) {
        process.kill(pid, 'SIGKILL');
        for (let i = 0; i < 100 && this.runningPid() !== undefined; i++) await sleep(20);
      }
      if (this.runningPid() !== undefined) throw new LabVmError(`VM ${this.spec.name}: qemu (pid ${pid}) survived SIGKILL`);
      writeFileSync(this.#path('qemu.log'), `${new Date().toISOString()} power off\n`, { flag: 'a' });
    }
    rmSync(this.#path('qemu.pid'), { force: true });
  }

  async #consumeOnce(qmp: QmpClient, state: BootState): Promise<void> {
    this.#writeBoot({ persistent: state.persistent });
    await this.#setNicFirst(qmp, state.persistent === 'pxe');
  }

  /** Gives the NIC bootindex 1 or none; qemu refuses an index already in use, the NIC's own included. */
  async #setNicFirst(qmp: QmpClient, first: boolean): Promise<void> {
    const path = `/machine/peripheral/${NIC_ID}`;
    const want = first ? NIC_BOOTINDEX : -1;
    const now = await qmp.execute('qom-get', { path, property: 'bootindex' });
    if (now !== want) await qmp.execute('qom-set', { path, property: 'bootindex', value: want });
  }

  async #withQmp<T>(fn: (qmp: QmpClient) => Promise<T>): Promise<T> {
    const qmp = await QmpClient.connect(this.qmpSocket);
    try {
      return await fn(qmp);
    } finally {
      qmp.close();
    }
  }

  #writeBoot(state: BootState): void {
    const path = this.#path('boot.json');
    const partial = `${path}.${process.pid}`;
    writeFileSync(partial, `${JSON.stringify(state)}\n`);
    renameSync(partial, path); // a reader in another process never sees half a file
  }

  #path(name: string): string {
    return join(this.stateDir, name);
  }

  /** Runs `fn` holding the state folder's lock (a directory: mkdir is atomic across processes). */
  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = this.#path('lock');
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        mkdirSync(lock);
        writeFileSync(join(lock, 'owner'), String(process.pid));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        let owner = NaN;
        try {
          owner = Number(readFileSync(join(lock, 'owner'), 'utf8'));
        } catch {
          // the owner is between mkdir and writing its pid
        }
        if (Number.isInteger(owner) && owner > 0 && processState(owner) === undefined) {
          rmSync(lock, { recursive: true, force: true }); // its owner died holding it
          continue;
        }
        if (Date.now() > deadline) throw new LabTimeoutError(`VM ${this.spec.name}: ${lock} still held (by pid ${owner}) after ${LOCK_TIMEOUT_MS} ms`);
        await sleep(15);
      }
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
