/** The Redfish emulator in test/ as a peer of the driver's tests: its own process, faults set through its control endpoint. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import type { BmcConfig } from '../../../driver.ts';

// The driver's peer is the Redfish emulator serving the DMTF mockups, run as its own
// process (like ipmi_sim for IPMI); faults are set through its control endpoint.
const EMULATOR_CLI = resolve(import.meta.dirname, '../../../../../../../test/redfish-emulator/cli.ts');

export interface Peer {
  url: string;
  child: ChildProcess;
  control(body: object): Promise<void>;
  /** A plain GET with Basic auth, bypassing the driver. */
  get(path: string): Promise<Record<string, unknown>>;
}

export async function startPeer(mockup: string, extra: string[] = []): Promise<Peer> {
  const child = spawn(process.execPath, [EMULATOR_CLI, '--mockup', mockup, '--port', '0', '--control', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const url = line.trim();
  const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
  return {
    url,
    child,
    async control(body) {
      const res = await fetch(`${url}/redfish-emulator/faults`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).toBe(204);
    },
    async get(path) {
      const res = await fetch(`${url}${path}`, { headers: { Authorization: auth } });
      return (await res.json()) as Record<string, unknown>;
    },
  };
}

export function configFor(peer: Peer, overrides: Partial<BmcConfig> = {}): BmcConfig {
  const { hostname, port } = new URL(peer.url);
  return { driver: 'redfish', host: hostname, port: Number(port), scheme: 'http', username: 'admin', password: 'password', ...overrides };
}
