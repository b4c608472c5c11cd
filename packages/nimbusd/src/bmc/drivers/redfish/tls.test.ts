import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BmcProtocolError } from '../../errors.ts';
import { redfishDriver } from './index.ts';
import { normalizeFingerprint } from './tls.ts';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const RESOURCES: Record<string, object> = {
  '/redfish/v1': { Systems: { '@odata.id': '/redfish/v1/Systems' } },
  '/redfish/v1/Systems': { Members: [{ '@odata.id': '/redfish/v1/Systems/1' }] },
  '/redfish/v1/Systems/1': { PowerState: 'On' },
};

// A BMC with a self-signed certificate (made by openssl for the test), speaking just enough Redfish.
describe.skipIf(!hasOpenssl())('TLS certificate pinning (needs the openssl binary to make a self-signed certificate)', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let fingerprint: string;
  const authorizedRequests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-redfish-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=bmc.example', '-days', '2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    fingerprint = new X509Certificate(cert).fingerprint256;
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      if (req.headers.authorization !== undefined) authorizedRequests.push(req.url ?? '');
      const body = RESOURCES[(req.url ?? '').replace(/\/$/, '')];
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' }).end(JSON.stringify(body ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (tlsFingerprint?: string) => ({
    driver: 'redfish' as const,
    host: '127.0.0.1',
    port,
    username: 'admin',
    password: 'password',
    ...(tlsFingerprint !== undefined ? { tlsFingerprint } : {}),
  });

  it('talks to the BMC whose certificate matches the pinned fingerprint, in either spelling', async () => {
    for (const pin of [fingerprint, fingerprint.replaceAll(':', '').toLowerCase()]) {
      const client = redfishDriver.create(config(pin));
      expect(await client.powerState!()).toBe('on');
      await client.close();
    }
  });

  it('refuses a certificate with another fingerprint before sending any credentials', async () => {
    authorizedRequests.length = 0;
    const client = redfishDriver.create(config('00'.repeat(32)));
    const err = await client.powerState!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BmcProtocolError);
    expect((err as Error).message).toMatch(/fingerprint/);
    expect(authorizedRequests).toEqual([]);
  });

  it('verifies against the CAs by default, so a self-signed certificate fails', async () => {
    const client = redfishDriver.create(config());
    const err = await client.powerState!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BmcProtocolError);
    expect((err as Error).message).not.toContain('password');
  });
});

describe('normalizeFingerprint', () => {
  it.each([
    ['AB:'.repeat(31) + 'AB', 'ab'.repeat(32)],
    ['ab'.repeat(32), 'ab'.repeat(32)],
    ['ab'.repeat(31), null],
    ['zz'.repeat(32), null],
  ])('%s → %s', (input, expected) => {
    expect(normalizeFingerprint(input)).toBe(expected);
  });
});
