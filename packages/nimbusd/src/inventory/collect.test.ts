import { describe, expect, it } from 'vitest';
import { collectHostInventory, runProbe } from './collect.ts';
import { fakeProbes } from './testdata/server.ts';

const never = <T>(): Promise<T> => new Promise<T>(() => {});

describe('collectHostInventory', () => {
  it('reads every part of the host from the probes', async () => {
    const inv = await collectHostInventory({ probes: fakeProbes(), arch: 'x64' });
    expect(inv.arch).toBe('x64');
    expect(inv.cpu).toEqual({ model: 'AMD EPYC 9454', sockets: 2, cores: 96, threads: 192, baseGhz: 2.75 });
    expect(inv.memory).toEqual({ totalBytes: 809_000_000_000, installedBytes: 24 * 32 * 2 ** 30 });
    expect(inv.disks?.map((d) => [d.device, d.type, d.removable])).toEqual([
      ['/dev/nvme0n1', 'nvme', false],
      ['/dev/nvme1n1', 'nvme', false],
      ['/dev/sda', 'ssd', false],
      ['/dev/sdb', 'hdd', false],
      ['/dev/sdc', 'ssd', true],
    ]);
    // Loopback, docker0 and the bridge are not NICs the machine has.
    expect(inv.nics).toEqual([
      { name: 'eno1', mac: '3c:ec:ef:00:00:01', speedMbps: 25_000, operstate: 'up' },
      { name: 'eno2', mac: '3c:ec:ef:00:00:02', speedMbps: 25_000, operstate: 'up' },
      { name: 'eno3', mac: '3c:ec:ef:00:00:03', operstate: 'down' },
    ]);
    expect(inv.gpus?.map((g) => g.memoryMib)).toEqual([16, 81_559, 81_559]);
    expect(inv.system).toEqual({ manufacturer: 'Supermicro', model: 'AS -2125HS-TNR', serial: 'S123456X', uuid: 'a1b2c3d4-0000-1111-2222-333344445555', virtual: false });
    expect(inv.baseboard).toEqual({ manufacturer: 'Supermicro', model: 'H13DSH', serial: 'OM123456', uuid: '' });
    expect(inv.probes.every((p) => p.status === 'ok')).toBe(true);
  });

  it('gives up on a probe that does not answer in time, names it, and keeps the rest', async () => {
    const inv = await collectHostInventory({ probes: fakeProbes({ gpus: never, memoryLayout: never }), timeoutMs: 50 });
    expect(inv.gpus).toBeNull();
    expect(inv.cpu?.cores).toBe(96);
    // Without the module layout, memory is still known, from the kernel's total.
    expect(inv.memory).toEqual({ totalBytes: 809_000_000_000 });
    expect(inv.probes.filter((p) => p.status !== 'ok')).toEqual([
      { name: 'memoryLayout', status: 'timeout', ms: 50, error: 'no answer within 50 ms' },
      { name: 'gpus', status: 'timeout', ms: 50, error: 'no answer within 50 ms' },
    ]);
  });

  it('reports a probe that fails with its error and keeps the rest', async () => {
    const inv = await collectHostInventory({ probes: fakeProbes({ disks: () => Promise.reject(new Error('lsblk: not found')) }) });
    expect(inv.disks).toBeNull();
    expect(inv.nics).toHaveLength(3);
    expect(inv.probes.find((p) => p.name === 'disks')).toMatchObject({ status: 'failed', error: 'lsblk: not found' });
  });

  it('runs the probes concurrently: each starts before any has answered', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const base = fakeProbes();
    const gated = Object.fromEntries(
      Object.entries(base).map(([name, probe]) => [
        name,
        async () => {
          started.push(name);
          if (started.length === Object.keys(base).length) release();
          await gate;
          return probe();
        },
      ]),
    ) as unknown as typeof base;
    const inv = await collectHostInventory({ probes: gated, timeoutMs: 5_000 });
    expect(started).toHaveLength(8);
    expect(inv.probes.every((p) => p.status === 'ok')).toBe(true);
  });
});

describe('runProbe', () => {
  it('turns a thrown non-Error into a failed report', async () => {
    const outcome = await runProbe('cpu', () => Promise.reject('boom'), 100);
    expect(outcome).toMatchObject({ value: null, report: { name: 'cpu', status: 'failed', error: 'boom' } });
  });
});
