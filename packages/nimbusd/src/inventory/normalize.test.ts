import { describe, expect, it } from 'vitest';
import { cpuFrom, diskMediumOf, systemFrom } from './normalize.ts';
import { SERVER } from './testdata/server.ts';

describe('diskMediumOf', () => {
  it.each([
    ['NVMe', 'PCIe', 'nvme'],
    ['SSD', 'PCIe', 'nvme'],
    ['SSD', 'NVMe', 'nvme'],
    ['SSD', 'SATA', 'ssd'],
    ['SSD', 'SAS', 'ssd'],
    ['HD', 'SATA', 'hdd'],
    ['HDD', 'SAS', 'hdd'],
    ['', '', 'unknown'],
    ['CD/DVD', 'SATA', 'unknown'],
  ])('type %j on bus %j is %s', (type, bus, medium) => {
    expect(diskMediumOf(type, bus)).toBe(medium);
  });
});

describe('cpuFrom', () => {
  it('does not repeat the vendor when the brand already names it', () => {
    expect(cpuFrom({ ...SERVER.cpu, manufacturer: 'Intel', brand: 'Intel Xeon Gold 6338' }).model).toBe('Intel Xeon Gold 6338');
  });

  it('never reports more cores than threads, nor zero of either', () => {
    const cpu = cpuFrom({ ...SERVER.cpu, cores: 4, physicalCores: 0, processors: 0, speed: 0 });
    expect(cpu).toEqual({ model: 'AMD EPYC 9454', sockets: 1, cores: 4, threads: 4 });
  });
});

describe('systemFrom', () => {
  it('treats placeholders as unknown', () => {
    expect(systemFrom({ ...SERVER.system, serial: '-', model: 'To Be Filled By O.E.M.', uuid: '' })).toMatchObject({ serial: '', model: '', uuid: '' });
  });
});
