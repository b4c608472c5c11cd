/**
 * Maps a host inventory onto the registry's machine-class shape, for `nimbusd registry
 * export`. Pure: the parts an inventory cannot know (id, price, tags) are passed in, and
 * what cannot be mapped is reported, every problem at once.
 */
import { NimbusError, type Arch, type Disk, type Gpu, type MachineClass, type Nic } from '@nimbus/core';
import type { HostInventory } from './types.ts';

/** The inventory lacks something a machine class needs (an unsupported arch, no CPU, no disk, …). */
export class MachineClassMappingError extends NimbusError {
  readonly code = 'INVENTORY_UNMAPPABLE';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`the host inventory does not map onto a machine class: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

export interface MachineClassFields {
  id: string;
  price_per_hour: number;
  count?: number;
  tags?: string[];
}

/** Below this, a GPU is a display adapter (a BMC's VGA chip, say) and not something a tenant rents. */
const MIN_GPU_MEMORY_MIB = 1024;

const GB = 1e9;
const GIB = 2 ** 30;

/** The registry's arch name for a Node `process.arch`; null for one the registry does not list. */
export function registryArch(nodeArch: string): Arch | null {
  if (nodeArch === 'x64' || nodeArch === 'x86_64') return 'x86_64';
  if (nodeArch === 'arm64' || nodeArch === 'aarch64') return 'arm64';
  return null;
}

/** Groups equal entries and counts them, keeping first-seen order. */
function countBy<T>(items: readonly T[], key: (item: T) => string): Array<{ item: T; count: number }> {
  const groups = new Map<string, { item: T; count: number }>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.count++;
    else groups.set(k, { item, count: 1 });
  }
  return [...groups.values()];
}

export function toMachineClass(inventory: HostInventory, fields: MachineClassFields): MachineClass {
  const problems: string[] = [];
  const arch = registryArch(inventory.arch);
  if (!arch) problems.push(`arch ${inventory.arch} is not one the registry lists (x86_64, arm64)`);
  if (!inventory.cpu) problems.push('no CPU information (the cpu probe did not answer)');
  if (!inventory.memory) problems.push('no memory information (the memory probe did not answer)');

  // Installed modules are what a buyer expects to read; the kernel's total is a little short of it.
  const memoryBytes = inventory.memory ? (inventory.memory.installedBytes ?? inventory.memory.totalBytes) : 0;
  const memory_gib = Math.round(memoryBytes / GIB);
  if (inventory.memory && memory_gib < 1) problems.push(`memory of ${memoryBytes} bytes is under 1 GiB`);

  const disks: Disk[] = countBy(
    (inventory.disks ?? []).filter((d) => !d.removable && d.type !== 'unknown' && d.sizeBytes >= GB),
    (d) => `${d.type}/${Math.floor(d.sizeBytes / GB)}`,
  ).map(({ item, count }) => ({ type: item.type as Disk['type'], size_gb: Math.floor(item.sizeBytes / GB), ...(count > 1 ? { count } : {}) }));
  if (disks.length === 0) problems.push(inventory.disks ? 'no fixed disk of a known type (nvme, ssd, hdd)' : 'no disk information (the disks probe did not answer)');

  const nics: Nic[] = countBy(
    (inventory.nics ?? []).filter((n) => n.speedMbps !== undefined),
    (n) => String(n.speedMbps),
  ).map(({ item, count }) => ({ speed_gbps: item.speedMbps! / 1000, ...(count > 1 ? { count } : {}) }));
  if (nics.length === 0) problems.push(inventory.nics ? 'no physical NIC with a known link speed' : 'no NIC information (the nics probe did not answer)');

  const gpus: Gpu[] = countBy(
    (inventory.gpus ?? []).filter((g) => (g.memoryMib ?? 0) >= MIN_GPU_MEMORY_MIB && g.model !== ''),
    (g) => `${g.model}/${Math.round(g.memoryMib! / 1024)}`,
  ).map(({ item, count }) => ({ model: item.model.slice(0, 100), memory_gib: Math.round(item.memoryMib! / 1024), count }));

  if (problems.length > 0 || !arch || !inventory.cpu) throw new MachineClassMappingError(problems);
  const { model, sockets, cores, threads, baseGhz } = inventory.cpu;
  const machine: MachineClass = {
    id: fields.id,
    ...(fields.count !== undefined ? { count: fields.count } : {}),
    arch,
    price_per_hour: fields.price_per_hour,
    cpu: { model: model.slice(0, 100), ...(sockets > 1 ? { sockets } : {}), cores, threads, ...(baseGhz !== undefined ? { base_ghz: baseGhz } : {}) },
    memory_gib,
    disks,
    nics,
  };
  if (gpus.length > 0) machine.gpus = gpus;
  if (fields.tags && fields.tags.length > 0) machine.tags = [...fields.tags];
  return machine;
}
