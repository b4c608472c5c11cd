export interface SystemIdentity {
  manufacturer?: string;
  model?: string;
  serial?: string;
  uuid?: string;
  /** BMC firmware version, when the BMC reports it. */
  bmcFirmware?: string;
}

export interface CpuInfo {
  model?: string;
  cores?: number;
  threads?: number;
}

export interface MemoryInfo {
  totalGib?: number;
  modules?: { sizeGib?: number; type?: string }[];
}

export interface DiskInfo {
  model?: string;
  sizeBytes?: number;
  type?: 'nvme' | 'ssd' | 'hdd';
}

export interface NicInfo {
  name?: string;
  /** Lower-case, colon-separated. */
  mac: string;
  speedMbps?: number;
}

/** What out-of-band inspection learns of a machine. Fields a BMC does not report are left out. */
export interface Inventory {
  system: SystemIdentity;
  cpus: CpuInfo[];
  memory: MemoryInfo;
  disks: DiskInfo[];
  nics: NicInfo[];
}

export interface InventoryGetter {
  inventory(signal?: AbortSignal): Promise<Inventory>;
}
