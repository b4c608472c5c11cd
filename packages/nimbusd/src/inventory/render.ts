/** The host inventory as text for `nimbusd inventory`: one section per part, one line per device. */
import type { HostInventory } from './types.ts';

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
const gb = (bytes: number): string => `${Math.round(bytes / 1e9)} GB`;
const orUnknown = (value: string): string => value || '(unknown)';

function section(title: string, lines: string[] | null): string[] {
  if (lines === null) return [`${title}: (not read, see probes)`];
  return lines.length === 0 ? [`${title}: none`] : [`${title}:`, ...lines.map((l) => `  ${l}`)];
}

export function renderHostInventory(inv: HostInventory): string {
  const out: string[] = [];
  out.push(`arch: ${inv.arch}`);
  out.push(
    ...section(
      'system',
      inv.system && [
        `${orUnknown(inv.system.manufacturer)} ${orUnknown(inv.system.model)}${inv.system.virtual ? ' (virtual)' : ''}`,
        `serial ${orUnknown(inv.system.serial)}, uuid ${orUnknown(inv.system.uuid)}`,
      ],
    ),
  );
  out.push(...section('baseboard', inv.baseboard && [`${orUnknown(inv.baseboard.manufacturer)} ${orUnknown(inv.baseboard.model)}, serial ${orUnknown(inv.baseboard.serial)}`]));
  out.push(
    ...section(
      'cpu',
      inv.cpu && [`${inv.cpu.model}: ${inv.cpu.sockets} socket(s), ${inv.cpu.cores} cores, ${inv.cpu.threads} threads${inv.cpu.baseGhz ? `, ${inv.cpu.baseGhz} GHz` : ''}`],
    ),
  );
  out.push(
    ...section(
      'memory',
      inv.memory && [`${gib(inv.memory.totalBytes)} usable${inv.memory.installedBytes ? `, ${gib(inv.memory.installedBytes)} installed` : ''}`],
    ),
  );
  out.push(
    ...section(
      'disks',
      inv.disks && inv.disks.map((d) => `${d.device} ${d.type} ${gb(d.sizeBytes)} ${orUnknown(d.model)} (${d.interface || 'bus unknown'})${d.removable ? ' removable' : ''}`),
    ),
  );
  out.push(
    ...section('nics', inv.nics && inv.nics.map((n) => `${n.name} ${n.mac} ${n.speedMbps ? `${n.speedMbps / 1000} Gbit/s` : 'speed unknown'} ${n.operstate}`)),
  );
  out.push(...section('gpus', inv.gpus && inv.gpus.map((g) => `${g.vendor} ${g.model}${g.memoryMib ? `, ${(g.memoryMib / 1024).toFixed(0)} GiB` : ''}`)));
  const slow = inv.probes.filter((p) => p.status !== 'ok');
  out.push(`collected in ${Math.round(inv.elapsedMs)} ms${slow.length ? `; ${slow.map((p) => `${p.name} ${p.status}: ${p.error}`).join('; ')}` : ''}`);
  return out.join('\n');
}
