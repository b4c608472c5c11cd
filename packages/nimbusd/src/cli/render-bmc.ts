/** Human output of the `nimbusd bmc` commands; `--json` prints the result objects instead. */
import type { BootOverride } from '../bmc/boot-device.ts';
import type { Inventory } from '../bmc/inventory.ts';
import type { SensorReading } from '../bmc/sensors.ts';
import { renderTable } from '@nimbus/core';

/** `pxe, next boot only, legacy` */
export function renderBootOverride(o: BootOverride): string {
  return `${o.device}, ${o.persistent ? 'every boot' : 'next boot only'}, ${o.mode}`;
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

function joinDefined(parts: readonly (string | undefined | false)[], sep = ', '): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join(sep);
}

/** A few lines: identity, CPUs, memory, disks, then one line per NIC (the MACs are what enrolment needs). */
export function renderInventory(inv: Inventory): string {
  const s = inv.system;
  const identity = joinDefined([
    joinDefined([s.manufacturer, s.model], ' ') || undefined,
    s.serial && `serial ${s.serial}`,
    s.uuid && `uuid ${s.uuid}`,
    s.bmcFirmware && `BMC firmware ${s.bmcFirmware}`,
  ]);
  const cpuModels = [...new Set(inv.cpus.map((c) => c.model).filter((m): m is string => m !== undefined))];
  const cores = inv.cpus.reduce((sum, c) => sum + (c.cores ?? 0), 0);
  const threads = inv.cpus.reduce((sum, c) => sum + (c.threads ?? 0), 0);
  const cpus = joinDefined([
    cpuModels.length > 0 ? `${inv.cpus.length} × ${cpuModels.join(' / ')}` : `${inv.cpus.length}`,
    cores > 0 && `${cores} cores`,
    threads > 0 && `${threads} threads`,
  ]);
  const modules = inv.memory.modules?.length;
  const memory = joinDefined([inv.memory.totalGib !== undefined ? `${inv.memory.totalGib} GiB` : 'unknown size', modules !== undefined && `${modules} modules`]);
  const disks = inv.disks.length === 0 ? 'none reported' : inv.disks.map((d) => joinDefined([d.sizeBytes !== undefined && bytes(d.sizeBytes), d.type, d.model], ' ') || 'unknown').join('; ');
  const lines = [
    ['system', identity || 'unknown'],
    ['cpus', inv.cpus.length === 0 ? 'none reported' : cpus],
    ['memory', memory],
    ['disks', disks],
    ['nics', inv.nics.length === 0 ? 'none reported' : `${inv.nics.length}`],
  ].map(([k, v]) => `${k!.padEnd(7)} ${v}`);
  const nics = renderTable(
    ['', '', ''],
    inv.nics.map((n) => [n.name ?? '-', n.mac, n.speedMbps !== undefined ? `${n.speedMbps} Mb/s` : '']),
  )
    .split('\n')
    .slice(1)
    .map((l) => `  ${l}`);
  return [...lines, ...nics].join('\n');
}

export function renderSensors(sensors: readonly SensorReading[]): string {
  if (sensors.length === 0) return 'no sensors reported';
  return renderTable(
    ['NAME', 'KIND', 'VALUE', 'UNIT', 'STATUS'],
    sensors.map((s) => [s.name, s.kind, s.value === null ? 'no reading' : String(s.value), s.unit, s.status ?? '-']),
  );
}
