/**
 * Pure conversions from systeminformation's answers to the inventory's types. Each keeps
 * what the registry and operators need and makes the host's vague spots explicit
 * (`unknown` medium, missing speed) rather than guessing.
 */
import type { Systeminformation } from 'systeminformation';
import type { CpuInventory, DiskInventory, DiskMedium, GpuInventory, HardwareIdentity, MemoryInventory, NicInventory } from './types.ts';

export function cpuFrom(data: Systeminformation.CpuData): CpuInventory {
  const brand = data.brand.trim();
  const vendor = data.manufacturer.trim();
  // si splits "Intel Xeon Gold 6338" into manufacturer and brand; put them back together once.
  const model = vendor && !brand.toLowerCase().startsWith(vendor.toLowerCase()) ? `${vendor} ${brand}` : brand || vendor || 'unknown';
  const threads = Math.max(1, data.cores);
  const cpu: CpuInventory = {
    model,
    sockets: Math.max(1, data.processors),
    cores: Math.max(1, Math.min(data.physicalCores || threads, threads)),
    threads,
  };
  if (data.speed > 0) cpu.baseGhz = data.speed;
  return cpu;
}

export function memoryFrom(data: Systeminformation.MemData, layout: Systeminformation.MemLayoutData[] | null): MemoryInventory {
  const memory: MemoryInventory = { totalBytes: data.total };
  const installed = (layout ?? []).reduce((sum, module) => sum + (module.size > 0 ? module.size : 0), 0);
  if (installed > 0) memory.installedBytes = installed;
  return memory;
}

/**
 * The medium of a disk from what si reports: `type` is NVMe, SSD or HD (from the kernel's
 * rotational flag), `interfaceType` the bus. An NVMe drive may show as SSD with bus PCIe.
 */
export function diskMediumOf(type: string, interfaceType: string): DiskMedium {
  const t = type.trim().toLowerCase();
  const bus = interfaceType.trim().toLowerCase();
  if (t === 'nvme' || bus === 'nvme' || bus === 'pcie') return 'nvme';
  if (t === 'ssd') return 'ssd';
  if (t === 'hd' || t === 'hdd') return 'hdd';
  return 'unknown';
}

export function disksFrom(data: Systeminformation.DiskLayoutData[]): DiskInventory[] {
  return data
    .filter((disk) => disk.size > 0)
    .map((disk) => ({
      device: disk.device,
      model: (disk.name || disk.vendor || '').trim(),
      sizeBytes: disk.size,
      type: diskMediumOf(disk.type ?? '', disk.interfaceType ?? ''),
      interface: (disk.interfaceType ?? '').trim(),
      serial: (disk.serialNum ?? '').trim(),
      removable: (disk.interfaceType ?? '').trim().toUpperCase() === 'USB',
    }));
}

/** Interface names of software devices that the kernel does not always mark virtual. */
const VIRTUAL_NIC_NAME = /^(lo|docker\d*|veth|br-|virbr|vnet|tap|tun|wg|cni|flannel|cali|kube-ipvs|dummy)/;

/** Physical NICs: loopback, interfaces si marks virtual, and well-known software devices are left out. */
export function nicsFrom(data: Systeminformation.NetworkInterfacesData[]): NicInventory[] {
  return data
    .filter((nic) => !nic.internal && !nic.virtual && nic.type !== 'virtual' && !VIRTUAL_NIC_NAME.test(nic.iface))
    .map((nic) => {
      const out: NicInventory = { name: nic.iface, mac: nic.mac.toLowerCase(), operstate: nic.operstate };
      // Linux reports -1 (as null or a negative) for a link that is down.
      if (typeof nic.speed === 'number' && nic.speed > 0) out.speedMbps = nic.speed;
      return out;
    });
}

export function gpusFrom(data: Systeminformation.GraphicsData): GpuInventory[] {
  return data.controllers.map((gpu) => {
    const out: GpuInventory = { vendor: gpu.vendor.trim(), model: (gpu.model || gpu.name || '').trim() };
    const mib = gpu.memoryTotal ?? gpu.vram;
    if (typeof mib === 'number' && mib > 0) out.memoryMib = mib;
    if (gpu.busAddress) out.busAddress = gpu.busAddress;
    return out;
  });
}

/** si writes `-` or an empty string, and some firmware "To Be Filled By O.E.M.", for a field it does not know. */
function known(value: string | undefined): string {
  const v = (value ?? '').trim();
  return v === '-' || /^(to be filled by o\.e\.m\.|default string|not specified|none)$/i.test(v) ? '' : v;
}

export function systemFrom(data: Systeminformation.SystemData): HardwareIdentity & { virtual: boolean } {
  return { manufacturer: known(data.manufacturer), model: known(data.model), serial: known(data.serial), uuid: known(data.uuid).toLowerCase(), virtual: data.virtual };
}

export function baseboardFrom(data: Systeminformation.BaseboardData): HardwareIdentity {
  // A baseboard has no UUID of its own in SMBIOS; the system's is the machine's.
  return { manufacturer: known(data.manufacturer), model: known(data.model), serial: known(data.serial), uuid: '' };
}
