import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DhcpLeaseFileError } from './errors.ts';
import { LeaseFileWriter, loadLeaseFile } from './lease-file.ts';
import type { LeaseRecord } from './leases.ts';

const LEASE: LeaseRecord = { address: '10.9.0.10', clientKey: 'mac:52:54:00:00:00:01', mac: '52:54:00:00:00:01', state: 'bound', expiresAt: Date.parse('2030-01-01T00:00:00Z') };

describe('lease file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-dhcp-leases-'));
    path = join(dir, 'leases.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a missing file as no leases', async () => {
    expect(await loadLeaseFile(path)).toEqual([]);
  });

  it('writes what it reads back, leaving no temp file behind', async () => {
    const writer = new LeaseFileWriter(path, () => [LEASE]);
    await writer.save();
    expect(await loadLeaseFile(path)).toEqual([LEASE]);
    expect(readdirSync(dir)).toEqual(['leases.json']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, leases: [{ expiresAt: '2030-01-01T00:00:00.000Z' }] });
  });

  it('coalesces saves made while a write is running, and the last one carries the latest state', async () => {
    let state: LeaseRecord[] = [];
    let snapshots = 0;
    const writer = new LeaseFileWriter(path, () => {
      snapshots += 1;
      return state;
    });
    const saves: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i++) {
      state = [{ ...LEASE, address: `10.9.0.${10 + i}` }];
      saves.push(writer.save());
    }
    await Promise.all(saves);
    expect(snapshots).toBe(2);
    expect((await loadLeaseFile(path))[0]?.address).toBe('10.9.0.29');
  });

  it.each([
    ['not JSON', '{"version": 1, "leases": ['],
    ['another version', '{"version": 2, "leases": []}'],
    ['a lease with a bad address', '{"version": 1, "leases": [{"address": "10.9.0", "clientKey": "", "mac": "", "state": "bound", "expiresAt": "2030-01-01T00:00:00Z"}]}'],
    ['a lease with an unknown state', '{"version": 1, "leases": [{"address": "10.9.0.1", "clientKey": "", "mac": "", "state": "lost", "expiresAt": "2030-01-01T00:00:00Z"}]}'],
  ])('refuses a file that is %s, naming the file', async (_name, text) => {
    writeFileSync(path, text);
    await expect(loadLeaseFile(path)).rejects.toThrow(DhcpLeaseFileError);
    await expect(loadLeaseFile(path)).rejects.toThrow(path);
  });

  it('reports a write that fails', async () => {
    const writer = new LeaseFileWriter(join(dir, 'missing-dir', 'leases.json'), () => [LEASE]);
    await expect(writer.save()).rejects.toThrow(DhcpLeaseFileError);
  });
});
