import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type Peer } from '../bmc/drivers/redfish/testdata/emulator-peer.ts';
import { BmcConfigError } from '../bmc/errors.ts';
import type { Machine } from '../state/records.ts';
import { machineBmcConnector, splitAddress, withMachineBmc } from './machine-bmc.ts';

let peer: Peer;
let dir: string;
beforeAll(async () => {
  peer = await startPeer('public-rackmount1');
  dir = mkdtempSync(join(tmpdir(), 'nimbus-machine-bmc-'));
});
afterAll(() => peer.child.kill());

function passwordFile(text: string, mode = 0o600): string {
  const path = join(dir, `pw-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}

function machineAt(overrides: Partial<Machine['bmc']> = {}): Machine {
  const { host } = new URL(peer.url);
  return {
    id: 'm-1',
    name: 'node1',
    state: 'ready',
    class: 'default',
    bmc: { driver: 'redfish', address: host, username: 'admin', credentialsFile: passwordFile('password\n'), options: { scheme: 'http' }, ...overrides },
    bootMacs: ['52:54:00:00:00:01'],
    inventory: null,
    lastError: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
}

describe('a BMC client from what the store keeps of a machine', () => {
  it('reaches the BMC with the recorded user, options and the password from its file', async () => {
    const state = await withMachineBmc(machineBmcConnector(), machineAt(), (client) => client.powerState!());
    expect(['on', 'off']).toContain(state);
  });

  it('uses the fallback user only for a machine enrolled without one, and says how to fix a machine with none', async () => {
    const legacy = machineAt({ username: '' });
    expect(() => machineBmcConnector()(legacy)).toThrow(BmcConfigError);
    expect(() => machineBmcConnector()(legacy)).toThrow(/node1: no BMC user is recorded; re-enroll it with --bmc-user/);
    const state = await withMachineBmc(machineBmcConnector('admin'), legacy, (client) => client.powerState!());
    expect(['on', 'off']).toContain(state);
  });

  it('refuses a password file others can read, naming the file and not its contents', () => {
    const path = passwordFile('hunter2-machine-bmc', 0o644);
    let err: unknown;
    try {
      machineBmcConnector()(machineAt({ credentialsFile: path }));
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).not.toContain('hunter2-machine-bmc');
  });

  it("runs the driver's own checks before any call", () => {
    expect(() => machineBmcConnector()(machineAt({ options: { scheme: 'http', tlsFingerprint: 'not-a-fingerprint' } }))).toThrow(/node1: tlsFingerprint/);
  });
});

describe('splitAddress', () => {
  it('reads host, host:port and bracketed IPv6', () => {
    expect(splitAddress('bmc1.example')).toEqual({ host: 'bmc1.example' });
    expect(splitAddress('bmc1.example:8443')).toEqual({ host: 'bmc1.example', port: 8443 });
    expect(splitAddress('[fd00::1]:623')).toEqual({ host: 'fd00::1', port: 623 });
    expect(splitAddress('fd00::1')).toEqual({ host: 'fd00::1' });
  });
});
