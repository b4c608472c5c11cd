/**
 * The provider model: what one `providers/<id>.toml` file says, after validation
 * against registry-schema/provider.schema.json. Field names follow the TOML keys.
 */

export type Arch = 'x86_64' | 'arm64';
export type DiskType = 'nvme' | 'ssd' | 'hdd';
export type TenantPolicy = 'open' | 'allowlist';
export type BillingUnit = 'minute' | 'hour' | 'day' | 'month';

export interface Cpu {
  model: string;
  /** Defaults to 1 when the file leaves it out. */
  sockets?: number;
  cores: number;
  threads: number;
  base_ghz?: number;
}

export interface Disk {
  type: DiskType;
  size_gb: number;
  /** Defaults to 1. */
  count?: number;
}

export interface Gpu {
  model: string;
  memory_gib: number;
  count: number;
}

export interface Nic {
  speed_gbps: number;
  /** Defaults to 1. */
  count?: number;
}

/** A machine class: `count` identical machines described once. */
export interface MachineClass {
  id: string;
  /** Defaults to 1. */
  count?: number;
  arch: Arch;
  price_per_hour: number;
  cpu: Cpu;
  memory_gib: number;
  disks: Disk[];
  gpus?: Gpu[];
  nics: Nic[];
  tags?: string[];
}

export interface Provider {
  schema: 1;
  id: string;
  name: string;
  description?: string;
  contact: string;
  owners?: string[];
  location: { region: string; country: string; city?: string; site?: string };
  endpoint: { host: string; port: number; host_key: string };
  tenants: { policy: TenantPolicy; signup?: string };
  price: { currency: string; billing?: BillingUnit };
  images: string[];
  machines: MachineClass[];
}
