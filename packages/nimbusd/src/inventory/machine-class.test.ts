import { describe, expect, it } from 'vitest';
import { parseProviderFile } from '@nimbus/core';
import { stringify } from 'smol-toml';
import { collectHostInventory } from './collect.ts';
import { MachineClassMappingError, registryArch, toMachineClass } from './machine-class.ts';
import { fakeProbes } from './testdata/server.ts';

const fields = { id: 'epyc-h100', price_per_hour: 12.5, tags: ['gpu'] };

describe('toMachineClass', () => {
  it('maps a server onto a machine class, grouping equal disks, NICs and GPUs', async () => {
    const inv = await collectHostInventory({ probes: fakeProbes(), arch: 'x64' });
    expect(toMachineClass(inv, fields)).toEqual({
      id: 'epyc-h100',
      arch: 'x86_64',
      price_per_hour: 12.5,
      cpu: { model: 'AMD EPYC 9454', sockets: 2, cores: 96, threads: 192, base_ghz: 2.75 },
      // The installed modules (24 × 32 GiB), not the kernel's slightly smaller total.
      memory_gib: 768,
      // The USB stick is left out.
      disks: [
        { type: 'nvme', size_gb: 3840, count: 2 },
        { type: 'ssd', size_gb: 480 },
        { type: 'hdd', size_gb: 16000 },
      ],
      // eno3 has no link speed, so it cannot be listed.
      nics: [{ speed_gbps: 25, count: 2 }],
      // The BMC's 16 MiB display adapter is not a GPU a tenant rents.
      gpus: [{ model: 'NVIDIA H100 80GB HBM3', memory_gib: 80, count: 2 }],
      tags: ['gpu'],
    });
  });

  it('gives a machine class that the registry schema accepts', async () => {
    const inv = await collectHostInventory({ probes: fakeProbes(), arch: 'arm64' });
    const provider = {
      schema: 1,
      id: 'inventory-test',
      name: 'Inventory test',
      contact: 'ops@example.org',
      location: { region: 'eu-central', country: 'DE' },
      endpoint: { host: 'nimbus.example.org', port: 2222, host_key: 'SHA256:' + 'A'.repeat(43) },
      tenants: { policy: 'open' },
      price: { currency: 'EUR' },
      images: ['debian-12'],
      machines: [toMachineClass(inv, fields)],
    };
    const parsed = parseProviderFile({ path: 'providers/inventory-test.toml', bytes: new TextEncoder().encode(stringify(provider)) });
    expect(parsed.problems).toEqual([]);
    expect(parsed.provider?.machines[0]?.arch).toBe('arm64');
  });

  it('lists everything that cannot be mapped at once', async () => {
    const inv = await collectHostInventory({
      probes: fakeProbes({ cpu: () => Promise.reject(new Error('no')), disks: () => Promise.resolve([]) }),
      arch: 'riscv64',
    });
    let caught: unknown;
    try {
      toMachineClass(inv, fields);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MachineClassMappingError);
    const error = caught as MachineClassMappingError;
    expect(error.code).toBe('INVENTORY_UNMAPPABLE');
    expect(error.problems).toEqual([
      'arch riscv64 is not one the registry lists (x86_64, arm64)',
      'no CPU information (the cpu probe did not answer)',
      'no fixed disk of a known type (nvme, ssd, hdd)',
    ]);
  });

  it.each([
    ['x64', 'x86_64'],
    ['arm64', 'arm64'],
    ['ia32', null],
  ])('registryArch(%j) is %j', (node, registry) => {
    expect(registryArch(node)).toBe(registry);
  });
});
