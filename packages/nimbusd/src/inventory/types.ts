/**
 * What nimbusd knows of the host it runs on, read with systeminformation. A section is
 * `null` when its probe timed out or failed; `probes` says which and why.
 */

/** One systeminformation call; each runs on its own, under its own timeout. */
export type ProbeName = 'cpu' | 'memory' | 'memoryLayout' | 'disks' | 'nics' | 'gpus' | 'system' | 'baseboard';

export const PROBE_NAMES: readonly ProbeName[] = ['cpu', 'memory', 'memoryLayout', 'disks', 'nics', 'gpus', 'system', 'baseboard'];

export type ProbeStatus = 'ok' | 'timeout' | 'failed';

export interface ProbeReport {
  name: ProbeName;
  status: ProbeStatus;
  /** Time the probe took, or the timeout it hit. */
  ms: number;
  /** Why it failed or timed out; absent when it succeeded. */
  error?: string;
}

/** Disk medium as the registry names it; `unknown` when the host does not say. */
export type DiskMedium = 'nvme' | 'ssd' | 'hdd' | 'unknown';

export interface CpuInventory {
  /** Vendor and model, e.g. `AMD EPYC 9454`. */
  model: string;
  sockets: number;
  /** Physical cores, all sockets together. */
  cores: number;
  /** Hardware threads, all sockets together. */
  threads: number;
  /** Base clock in GHz; absent when the host does not report it. */
  baseGhz?: number;
}

export interface MemoryInventory {
  /** Memory the kernel manages (a little less than what is installed). */
  totalBytes: number;
  /** Sum of the installed memory modules; absent when the module layout could not be read (it needs root). */
  installedBytes?: number;
}

export interface DiskInventory {
  device: string;
  model: string;
  sizeBytes: number;
  type: DiskMedium;
  /** Bus as the host names it: SATA, SAS, PCIe, USB… */
  interface: string;
  serial: string;
  /** A USB disk: a stick or an installer, not part of what the machine offers. */
  removable: boolean;
}

export interface NicInventory {
  name: string;
  mac: string;
  /** Link speed in Mbit/s; absent when the link is down or the driver does not say. */
  speedMbps?: number;
  operstate: string;
}

export interface GpuInventory {
  vendor: string;
  model: string;
  /** Memory in MiB; absent when the host does not report it. */
  memoryMib?: number;
  busAddress?: string;
}

/** Manufacturer, model, serial and UUID of the system or its baseboard; empty strings when unknown. */
export interface HardwareIdentity {
  manufacturer: string;
  model: string;
  serial: string;
  uuid: string;
}

export interface HostInventory {
  /** `process.arch` of the running nimbusd (`x64`, `arm64`, …). */
  arch: string;
  cpu: CpuInventory | null;
  memory: MemoryInventory | null;
  disks: DiskInventory[] | null;
  /** Physical NICs only: loopback and virtual interfaces (bridges, veth, tunnels) are left out. */
  nics: NicInventory[] | null;
  gpus: GpuInventory[] | null;
  system: (HardwareIdentity & { virtual: boolean }) | null;
  baseboard: HardwareIdentity | null;
  /** One report per probe, in PROBE_NAMES order. */
  probes: ProbeReport[];
  /** Wall time of the whole collection. */
  elapsedMs: number;
}
