import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBootSector } from './boot-sector.ts';
import { startIpmiBmc } from './ipmi-bmc.ts';
import { LabNetwork } from './network.ts';
import { labMissing } from './prerequisites.ts';
import { QmpClient } from './qmp.ts';
import { startRedfishBmc } from './redfish-bmc.ts';
import { LabVm } from './vm.ts';

const missing = labMissing();
const SYSTEM = '/redfish/v1/Systems/437XR1138R2';
/** qemu's iPXE option ROM takes over: the NIC is being booted. */
const IPXE_RUNS = /iPXE \(PCI [0-9a-f:.]+\) starting execution/;
const DISK_MARKER = 'LAB-DISK-BOOT';

async function waitForPower(vm: LabVm, state: 'on' | 'off', timeoutMs: number): Promise<'on' | 'off'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await vm.powerState()) !== state) await sleep(50);
  return vm.powerState();
}

/** Is `pid` a live process (a zombie is not)? */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

describe.skipIf(missing !== undefined)(`the lab: qemu VMs in a network namespace, with Redfish and IPMI BMCs${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let network: LabNetwork;
  const vms: LabVm[] = [];

  beforeAll(async () => {
    network = await LabNetwork.create();
  }, 60_000);
  afterAll(async () => {
    await network?.destroy();
  });

  async function vm(name: string): Promise<LabVm> {
    const made = await LabVm.create(network, { name });
    vms.push(made);
    return made;
  }

  it('makes a namespace whose bridge has an IPv4 /24, an IPv6 ULA with router advertisements, and a broadcast route', async () => {
    const addr = (await network.run('ip', ['-o', 'addr', 'show', 'dev', 'br0'])).stdout;
    expect(addr).toContain(`inet ${network.address}/24`);
    expect(addr).toContain(`inet6 ${network.ipv6Address}/64`);
    expect((await network.run('ip', ['route', 'show', '255.255.255.255'])).stdout).toContain('dev br0');
    const commands = network.pids().map((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    expect(commands).toContain('radvd');
  });

  it('boots a BIOS VM with an e1000 NIC set to PXE into iPXE, which asks for DHCP, and powers it off', async () => {
    const bios = await vm('bios-e1000');
    await bios.setBootDevice('pxe');
    await bios.powerOn();
    expect(await bios.powerState()).toBe('on');
    await bios.waitForSerial(IPXE_RUNS, 30_000);
    await bios.waitForSerial(new RegExp(`Configuring \\(net0 ${bios.mac}\\)`), 30_000);
    const pid = bios.controller.runningPid() as number;
    await bios.powerOff();
    expect(await bios.powerState()).toBe('off');
    expect(alive(pid)).toBe(false);
  }, 60_000);

  it('after a one-time PXE boot, a reboot by the guest comes back from the disk, and a power-off by the guest leaves the VM off', async () => {
    const guest = await vm('guest-actions');
    // The disk's boot code prints a marker, then switches the machine off through ACPI.
    writeBootSector(guest.diskPath, DISK_MARKER, 'poweroff');
    await guest.setBootDevice('pxe', { once: true });
    await guest.powerOn();
    await guest.waitForSerial(/Configuring \(net0/, 30_000);
    // Ctrl-Alt-Del: the guest's firmware resets the machine itself, as `reboot -f` would.
    const qmp = await QmpClient.connect(guest.controller.qmpSocket);
    try {
      await qmp.execute('send-key', { keys: ['ctrl', 'alt', 'delete'].map((k) => ({ type: 'qcode', data: k })) });
      await qmp.waitForEvent('RESET', 10_000);
    } finally {
      qmp.close();
    }
    await guest.waitForSerial(new RegExp(DISK_MARKER), 30_000);
    expect(await waitForPower(guest, 'off', 15_000)).toBe('off');
    const serial = guest.serialText();
    expect(serial.match(new RegExp(IPXE_RUNS.source, 'g'))).toHaveLength(1); // PXE once, then the disk
    expect(serial.indexOf(DISK_MARKER)).toBeGreaterThan(serial.search(IPXE_RUNS));
    expect(guest.bootState()).toEqual({ persistent: 'disk' });
  }, 60_000);

  it('serves Redfish over HTTPS in the namespace: a Pxe/Once override and ForceOn start the VM from the NIC, ForceOff stops it', async () => {
    const machine = await vm('redfish-vm');
    const bmc = await startRedfishBmc(network, machine, { user: 'admin', password: 'lab-redfish-pw' });
    expect(bmc.url).toMatch(/^https:\/\/10\.\d+\.\d+\.\d+:443$/);
    expect(bmc.tlsFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    // curl runs inside the namespace; credentials from a file, so no secret is on a command line.
    const netrc = join(network.dir, 'redfish.netrc');
    writeFileSync(netrc, `machine ${bmc.host} login admin password lab-redfish-pw\n`, { mode: 0o600 });
    const curl = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const args = ['-sS', '--cacert', bmc.certificatePath, '--netrc-file', netrc, '-X', method, '-w', '\n%{http_code}', `${bmc.url}${path}`];
      if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data', JSON.stringify(body));
      const out = (await network.run('curl', args, { timeoutMs: 20_000 })).stdout;
      const nl = out.lastIndexOf('\n');
      const text = out.slice(0, nl);
      return { status: Number(out.slice(nl + 1)), json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    };

    expect((await curl('GET', SYSTEM)).json['PowerState']).toBe('Off');
    expect((await curl('PATCH', SYSTEM, { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } })).status).toBe(204);
    expect(machine.bootState()).toEqual({ persistent: 'disk', once: 'pxe' });
    const mark = machine.serialMark();
    expect((await curl('POST', `${SYSTEM}/Actions/ComputerSystem.Reset`, { ResetType: 'ForceOn' })).status).toBe(204);
    expect(await machine.powerState()).toBe('on');
    await machine.waitForSerial(IPXE_RUNS, 30_000, { from: mark });
    expect((await curl('GET', SYSTEM)).json['PowerState']).toBe('On');
    expect((await curl('POST', `${SYSTEM}/Actions/ComputerSystem.Reset`, { ResetType: 'ForceOff' })).status).toBe(204);
    expect(await machine.powerState()).toBe('off');
    expect((await curl('GET', SYSTEM)).json['PowerState']).toBe('Off');
    await bmc.stop();
  }, 60_000);

  it('drives the VM through ipmi_sim: chassis bootdev pxe + power on boots the NIC first, power off stops it', async () => {
    const machine = await vm('ipmi-vm');
    const bmc = await startIpmiBmc(network, machine, { user: 'admin', password: 'lab-ipmi-pw' });
    const ipmitool = async (...args: string[]): Promise<string> => {
      const base = ['-I', 'lanplus', '-C', '3', '-H', bmc.host, '-p', String(bmc.port), '-U', bmc.username, '-E'];
      const r = await network.run('ipmitool', [...base, ...args], { env: { IPMI_PASSWORD: 'lab-ipmi-pw' }, timeoutMs: 20_000 });
      return `${r.stdout}${r.stderr}`;
    };
    expect(await ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is off');
    expect(await ipmitool('chassis', 'bootdev', 'pxe')).toContain('Set Boot Device to pxe');
    expect(machine.bootState()).toEqual({ persistent: 'disk', once: 'pxe' });
    const mark = machine.serialMark();
    expect(await ipmitool('chassis', 'power', 'on')).toContain('Up/On');
    expect(await machine.powerState()).toBe('on');
    await machine.waitForSerial(IPXE_RUNS, 30_000, { from: mark });
    expect(machine.bootState()).toEqual({ persistent: 'disk' }); // one-shot, as IPMI boot flags are
    expect(await ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is on');
    expect(await ipmitool('chassis', 'power', 'off')).toContain('Down/Off');
    expect(await machine.powerState()).toBe('off');
    expect(await ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is off');
    await bmc.stop();
  }, 60_000);

  it('destroy() stops everything (a running VM too) and leaves no namespace or folder behind', async () => {
    const running = await vm('left-running');
    await running.powerOn();
    const qemuPid = running.controller.runningPid() as number;
    const inside = network.pids();
    expect(inside).toContain(qemuPid);

    await network.destroy();
    await network.destroy(); // idempotent
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(network.name);
    expect(existsSync(network.dir)).toBe(false);
    expect(inside.filter(alive)).toEqual([]);
  }, 60_000);
});
