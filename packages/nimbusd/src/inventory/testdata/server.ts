/** systeminformation-shaped answers of a two-socket server with NVMe, SATA SSD, HDD, a USB stick, two 25G ports and two GPUs. */
import type { HostProbes, ProbeResults } from '../probes.ts';

export const SERVER: ProbeResults = {
  cpu: {
    manufacturer: 'AMD', brand: 'EPYC 9454', vendor: 'AuthenticAMD', family: '25', model: '17', stepping: '1', revision: '', voltage: '',
    speed: 2.75, speedMin: 1.5, speedMax: 3.8, governor: '', cores: 192, physicalCores: 96, processors: 2, socket: 'SP5', flags: '',
    virtualization: true, cache: { l1d: 0, l1i: 0, l2: 0, l3: 0 },
  },
  memory: {
    total: 809_000_000_000, free: 0, used: 0, active: 0, available: 0, buffcache: 0, buffers: 0, cached: 0, slab: 0, reclaimable: 0,
    swaptotal: 0, swapused: 0, swapfree: 0, writeback: 0, dirty: 0,
  },
  memoryLayout: Array.from({ length: 24 }, () => ({
    size: 32 * 2 ** 30, bank: '', type: 'DDR5', ecc: true, clockSpeed: 4800, formFactor: 'DIMM', manufacturer: '', partNum: '', serialNum: '',
    voltageConfigured: null, voltageMin: null, voltageMax: null,
  })),
  disks: [
    disk('/dev/nvme0n1', 'NVMe', 'PCIe', 3_840_000_000_000, 'SAMSUNG MZQL23T8HCLS'),
    disk('/dev/nvme1n1', 'SSD', 'PCIe', 3_840_000_000_000, 'SAMSUNG MZQL23T8HCLS'),
    disk('/dev/sda', 'SSD', 'SATA', 480_000_000_000, 'INTEL SSDSC2KB480G8'),
    disk('/dev/sdb', 'HD', 'SAS', 16_000_000_000_000, 'ST16000NM004J'),
    disk('/dev/sdc', 'SSD', 'USB', 32_000_000_000, 'SanDisk Cruzer'),
  ],
  nics: [
    nic('lo', { internal: true, mac: '00:00:00:00:00:00', type: 'virtual' }),
    nic('eno1', { mac: '3C:EC:EF:00:00:01', speed: 25_000 }),
    nic('eno2', { mac: '3C:EC:EF:00:00:02', speed: 25_000 }),
    nic('eno3', { mac: '3C:EC:EF:00:00:03', speed: null, operstate: 'down' }),
    nic('docker0', { mac: '02:42:ac:11:00:01', speed: 10_000 }),
    nic('br0', { mac: '3c:ec:ef:00:00:01', virtual: true, speed: 25_000 }),
  ],
  gpus: {
    controllers: [
      { vendor: 'Matrox Electronics Systems Ltd.', model: 'MGA G200eW3', bus: 'Onboard', vram: 16, vramDynamic: false },
      { vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3', bus: 'PCI', vram: 81_559, vramDynamic: false, memoryTotal: 81_559, busAddress: '0000:18:00.0' },
      { vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3', bus: 'PCI', vram: 81_559, vramDynamic: false, memoryTotal: 81_559, busAddress: '0000:2a:00.0' },
    ],
    displays: [],
  },
  system: { manufacturer: 'Supermicro', model: 'AS -2125HS-TNR', version: '0123456789', serial: 'S123456X', uuid: 'A1B2C3D4-0000-1111-2222-333344445555', sku: '-', virtual: false },
  baseboard: { manufacturer: 'Supermicro', model: 'H13DSH', version: '1.01', serial: 'OM123456', assetTag: 'To Be Filled By O.E.M.', memMax: null, memSlots: 24 },
};

function disk(device: string, type: string, interfaceType: string, size: number, name: string): ProbeResults['disks'][number] {
  return {
    device, type, name, vendor: '', size, bytesPerSector: 512, totalCylinders: 0, totalHeads: 0, totalSectors: 0, totalTracks: 0,
    tracksPerCylinder: 0, sectorsPerTrack: 0, firmwareRevision: '', serialNum: `SN-${device.slice(5)}`, interfaceType, smartStatus: 'Ok',
    temperature: null,
  };
}

function nic(iface: string, over: Partial<ProbeResults['nics'][number]>): ProbeResults['nics'][number] {
  return {
    iface, ifaceName: iface, default: false, ip4: '', ip4subnet: '', ip6: '', ip6subnet: '', mac: '', internal: false, virtual: false,
    operstate: 'up', type: 'wired', duplex: 'full', mtu: 1500, speed: null, dhcp: false, dnsSuffix: '', ieee8021xAuth: '', ieee8021xState: '',
    carrierChanges: 0, ...over,
  };
}

/** Probes that answer with SERVER at once, with some replaced. */
export function fakeProbes(over: Partial<HostProbes> = {}): HostProbes {
  const answer = <K extends keyof ProbeResults>(k: K) => () => Promise.resolve(structuredClone(SERVER[k]));
  return {
    cpu: answer('cpu'), memory: answer('memory'), memoryLayout: answer('memoryLayout'), disks: answer('disks'), nics: answer('nics'),
    gpus: answer('gpus'), system: answer('system'), baseboard: answer('baseboard'), ...over,
  };
}
