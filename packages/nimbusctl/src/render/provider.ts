import type { MachineClass, Provider } from '@nimbus/core';
import { renderTable } from '@nimbus/core';

/** One line describing a machine class's hardware, e.g. "2× AMD EPYC 9354 (64c/128t), 768 GiB, 2×3840 GB nvme, 4× NVIDIA L40S 48 GiB, 2×25 Gbit/s". */
export function describeHardware(m: MachineClass): string {
  const cpu = `${m.cpu.sockets && m.cpu.sockets > 1 ? `${m.cpu.sockets}× ` : ''}${m.cpu.model} (${m.cpu.cores}c/${m.cpu.threads}t)`;
  const disks = m.disks.map((d) => `${d.count ?? 1}×${d.size_gb} GB ${d.type}`).join(' + ');
  const gpus = (m.gpus ?? []).map((g) => `${g.count}× ${g.model} ${g.memory_gib} GiB`).join(' + ');
  const nics = m.nics.map((n) => `${n.count ?? 1}×${n.speed_gbps} Gbit/s`).join(' + ');
  return [cpu, `${m.memory_gib} GiB`, disks, gpus, nics].filter((s) => s.length > 0).join(', ');
}

export function renderProvider(p: Provider, registry: string): string {
  const where = [p.location.city, p.location.site].filter(Boolean).join(', ');
  const lines = [
    `${p.name} (${p.id}, from registry ${registry})`,
    p.description ? `  ${p.description}` : undefined,
    `  location:  ${p.location.region}, ${p.location.country}${where ? ` (${where})` : ''}`,
    `  endpoint:  ${p.endpoint.host}:${p.endpoint.port}  host key ${p.endpoint.host_key}`,
    `  tenants:   ${p.tenants.policy}${p.tenants.signup ? ` (sign up: ${p.tenants.signup})` : ''}`,
    `  contact:   ${p.contact}`,
    `  images:    ${p.images.join(', ')}`,
    '',
    renderTable(
      ['CLASS', 'COUNT', 'ARCH', `PRICE/H ${p.price.currency}`, 'TAGS', 'HARDWARE'],
      p.machines.map((m) => [m.id, String(m.count ?? 1), m.arch, m.price_per_hour.toFixed(2), (m.tags ?? []).join(',') || '-', describeHardware(m)]),
    ),
  ];
  return lines.filter((l) => l !== undefined).join('\n');
}
