import type { CpuInfo, DiskInfo, Inventory, MemoryInfo, NicInfo } from '../../inventory.ts';
import type { Json, RedfishTransport } from './transport.ts';
import { RedfishStatusError } from './transport.ts';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function linkOf(resource: Json, property: string): string | undefined {
  const link = resource[property];
  const id = isObject(link) ? link['@odata.id'] : undefined;
  return typeof id === 'string' ? id : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Leaves out undefined fields, as Inventory's types ask. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Reads every member of the collection `link` points to. Vendors link collections they
 * do not serve; a 404 on the collection counts as an empty one, anything else fails.
 */
export async function readMembers(transport: RedfishTransport, link: string | undefined, signal?: AbortSignal): Promise<Json[]> {
  if (link === undefined) return [];
  let ids: string[];
  try {
    ids = await transport.members(link, signal);
  } catch (err) {
    if (err instanceof RedfishStatusError && err.status === 404) return [];
    throw err;
  }
  return Promise.all(ids.map(async (id) => (await transport.get(id, signal)).body));
}

function isPresent(r: Json): boolean {
  return !(isObject(r['Status']) && r['Status']['State'] === 'Absent');
}

function diskType(mediaType: unknown, protocol: unknown): DiskInfo['type'] {
  if (protocol === 'NVMe') return 'nvme';
  if (mediaType === 'SSD') return 'ssd';
  if (mediaType === 'HDD') return 'hdd';
  return undefined;
}

/** Normalizes `12:44:6A:3B:04:11` (or dashes) to lower-case colon form; null if it is no MAC. */
export function normalizeMac(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const hex = value.replaceAll(/[:-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{12}$/.test(hex) || /^0+$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

async function disks(transport: RedfishTransport, system: Json, signal?: AbortSignal): Promise<DiskInfo[]> {
  const out: DiskInfo[] = [];
  for (const storage of await readMembers(transport, linkOf(system, 'Storage'), signal)) {
    const drives = Array.isArray(storage['Drives']) ? storage['Drives'] : [];
    const bodies = await Promise.all(
      drives.flatMap((d: unknown) => {
        const id = isObject(d) ? d['@odata.id'] : undefined;
        return typeof id === 'string' ? [transport.get(id, signal)] : [];
      }),
    );
    for (const { body: d } of bodies) {
      if (!isPresent(d)) continue;
      out.push(compact({ model: str(d['Model']), sizeBytes: num(d['CapacityBytes']), type: diskType(d['MediaType'], d['Protocol']) }));
    }
  }
  for (const simple of await readMembers(transport, linkOf(system, 'SimpleStorage'), signal)) {
    for (const d of Array.isArray(simple['Devices']) ? simple['Devices'] : []) {
      if (!isObject(d) || !isPresent(d)) continue;
      out.push(compact({ model: str(d['Model']), sizeBytes: num(d['CapacityBytes']) }));
    }
  }
  return out;
}

/** Builds the inventory of `system` from its Processors, Memory, Storage and EthernetInterfaces. */
export async function readInventory(transport: RedfishTransport, system: Json, manager: Json | undefined, signal?: AbortSignal): Promise<Inventory> {
  const [processors, modules, diskList, interfaces] = await Promise.all([
    readMembers(transport, linkOf(system, 'Processors'), signal),
    readMembers(transport, linkOf(system, 'Memory'), signal),
    disks(transport, system, signal),
    readMembers(transport, linkOf(system, 'EthernetInterfaces'), signal),
  ]);
  const cpus: CpuInfo[] = processors
    .filter((p) => isPresent(p) && (p['ProcessorType'] === undefined || p['ProcessorType'] === 'CPU'))
    .map((p) => compact({ model: str(p['Model']), cores: num(p['TotalCores']), threads: num(p['TotalThreads']) }));
  const present = modules.filter(isPresent);
  const memory: MemoryInfo = compact({
    modules: present.map((m) => compact({ sizeGib: num(m['CapacityMiB']) !== undefined ? (m['CapacityMiB'] as number) / 1024 : undefined, type: str(m['MemoryDeviceType']) })),
    totalGib: num(isObject(system['MemorySummary']) ? system['MemorySummary']['TotalSystemMemoryGiB'] : undefined),
  });
  if (memory.totalGib === undefined && present.length > 0) memory.totalGib = (memory.modules ?? []).reduce((sum, m) => sum + (m.sizeGib ?? 0), 0);
  // The current MAC is what DHCP will see. VLAN interfaces repeat their parent's MAC.
  const seen = new Set<string>();
  const nics: NicInfo[] = interfaces.flatMap((i) => {
    const mac = normalizeMac(i['MACAddress']) ?? normalizeMac(i['PermanentMACAddress']);
    if (mac === null || i['EthernetInterfaceType'] === 'Virtual' || seen.has(mac)) return [];
    seen.add(mac);
    return [compact({ name: str(i['Id']) ?? str(i['Name']), mac, speedMbps: num(i['SpeedMbps']) })];
  });
  return {
    system: compact({
      manufacturer: str(system['Manufacturer']),
      model: str(system['Model']),
      serial: str(system['SerialNumber']),
      uuid: str(system['UUID']),
      bmcFirmware: str(manager?.['FirmwareVersion']),
    }),
    cpus,
    memory,
    disks: diskList,
    nics,
  };
}
