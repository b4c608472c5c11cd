/**
 * An IPMI BMC for a lab VM: OpenIPMI's ipmi_sim inside the lab namespace, on an address of
 * its own on the bridge, with chassis-control.ts as its chassis_control program, so
 * `chassis power on|off|reset|cycle` and `chassis bootdev pxe` act on the VM (NOTES §4c).
 * When the VM serves its serial port over TCP (LabVmOptions.serialPort), ipmi_sim's Serial
 * over LAN connects to it, so SOL clients see the VM's console.
 * Clients must use cipher suite 3 (`ipmitool -I lanplus -C 3`): without -C, ipmitool spends
 * 10 s probing (NOTES gotcha 3).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ipmiSimLanConf } from '../support/ipmi-sim-lan-conf.ts';
import { LabConfigError, LabTimeoutError } from './errors.ts';
import type { LabNetwork, LabProcess } from './network.ts';
import type { LabVm } from './vm.ts';

export const DEFAULT_IPMI_PORT = 623;
export const DEFAULT_BMC_USER = 'admin';
export const DEFAULT_BMC_PASSWORD = 'password';
const READY_TIMEOUT_MS = 10_000;
const CHASSIS_PROGRAM = resolve(import.meta.dirname, 'chassis-control.ts');

export interface IpmiBmcOptions {
  /** Default 623. */
  port?: number;
  /** Default `admin`; at most 16 characters. */
  user?: string;
  /** Default `password`; at most 20 characters. */
  password?: string;
}

export interface IpmiBmc {
  /** The BMC's own address on the lab bridge. */
  host: string;
  port: number;
  username: string;
  /** ipmi_sim's log (and the chassis program's errors). */
  log: string;
  process: LabProcess;
  stop(): Promise<void>;
}

/** A value for a quoted string in ipmi_sim's config: printable ASCII, no quote or backslash. */
function confString(setting: string, value: string, max: number): string {
  if (value.length === 0 || value.length > max || !/^[\x21-\x7e]+$/.test(value) || /["\\]/.test(value)) {
    throw new LabConfigError(`IPMI BMC ${setting}: 1–${max} printable ASCII characters without spaces, quotes or backslashes`);
  }
  return value;
}

// One BMC at IPMB address 0x20 (NOTES §4).
const EMULATOR_FILE = `mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
`;

function lanConf(vm: LabVm, host: string, port: number, user: string, password: string): string {
  const guid = Buffer.from(`${vm.network.name}/${vm.name}`).toString('hex').padEnd(32, '0').slice(0, 32);
  const serialPort = vm.controller.spec.serialPort;
  return ipmiSimLanConf({
    name: vm.name,
    host,
    port,
    guid,
    chassisControl: `${process.execPath} --no-warnings ${CHASSIS_PROGRAM} ${vm.stateDir}`,
    ...(serialPort === undefined ? {} : { solSerialPort: serialPort }),
    user,
    password,
  });
}

/** Starts ipmi_sim for `vm` inside its network and waits until it listens. */
export async function startIpmiBmc(network: LabNetwork, vm: LabVm, options: IpmiBmcOptions = {}): Promise<IpmiBmc> {
  const port = options.port ?? DEFAULT_IPMI_PORT;
  const user = confString('user', options.user ?? DEFAULT_BMC_USER, 16);
  const password = confString('password', options.password ?? DEFAULT_BMC_PASSWORD, 20);
  const host = network.allocateAddress();
  const dir = join(network.dir, 'bmc', `ipmi-${vm.name}`);
  mkdirSync(join(dir, 'persist'), { recursive: true });
  writeFileSync(join(dir, 'bmc.emu'), EMULATOR_FILE);
  writeFileSync(join(dir, 'lan.conf'), lanConf(vm, host, port, user, password), { mode: 0o600 }); // holds the password
  const log = join(network.dir, 'logs', `ipmi-${vm.name}.log`);
  mkdirSync(dirname(log), { recursive: true });
  // The chassis program is node; its compile cache cuts each start from ~80 to ~30 ms.
  const env = { NODE_COMPILE_CACHE: join(tmpdir(), 'nimbus-lab-node-compile-cache') };
  const proc = network.spawn('ipmi_sim', ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'bmc.emu'), '-s', join(dir, 'persist'), '-n'], { log, cwd: dir, env });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!proc.running) throw new LabTimeoutError(`ipmi_sim for VM ${vm.name} exited before it listened on ${host}:${port}; see ${log}`);
    const { stdout } = await network.run('ss', ['-Hlun', 'src', `${host}:${port}`], { check: false });
    if (stdout.trim() !== '') break;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new LabTimeoutError(`ipmi_sim for VM ${vm.name} did not listen on ${host}:${port} within ${READY_TIMEOUT_MS} ms; see ${log}`);
    }
    await sleep(50);
  }
  return { host, port, username: user, log, process: proc, stop: () => proc.stop() };
}
