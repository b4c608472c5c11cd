/**
 * The deploy flow inside a running daemon, with the Redfish emulator as the machine's BMC
 * and this test playing the machine's network boot and ramdisk over the boot HTTP server
 * (the real ramdisk and real VMs are the lab tests' business): power and boot device set
 * through the BMC, one-time token from the iPXE script, instructions, image, seed,
 * progress and result, SSH readiness, then release. Failures end in `error` with their class.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NimbusApiClient } from '../api/client.ts';
import type { InstanceEvent } from '../api/instance-watch.ts';
import { testKey, type TestKey } from '../api/testdata/api-fixture.ts';
import { startPeer, type Peer } from '../bmc/drivers/redfish/testdata/emulator-peer.ts';
import type { NimbusdConfig } from '../config/config.ts';
import { readHostKey } from '../config/host-key.ts';
import { initSite } from '../config/init-site.ts';
import { loadConfig } from '../config/load-config.ts';
import { stateDbPath } from '../state/database.ts';
import { Store } from '../state/store.ts';
import { Daemon } from './daemon.ts';
import { freeTcpPort } from '../../../../test/support/free-port.ts';

const SYSTEM = { fingerprint: 'test', role: 'system' } as const;
const MAC = '52:54:00:de:00:01';
const SYSTEM_PATH = '/redfish/v1/Systems/437XR1138R2';

let dir: string;
let peer: Peer;
let config: NimbusdConfig;
let tenant: TestKey;
let sshBanner: Server;
let daemon: Daemon;
const stop = new AbortController();
let serving: Promise<void>;
let image: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nimbus-deploy-'));
  peer = await startPeer('public-rackmount1');
  tenant = testKey();
  for (const sub of ['ramdisk', 'ipxe']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'ramdisk', 'vmlinuz'), 'kernel bytes');
  writeFileSync(join(dir, 'ramdisk', 'initramfs.img'), 'initramfs bytes');
  writeFileSync(join(dir, 'ipxe', 'undionly.kpxe'), 'ipxe');
  image = Buffer.alloc(256 * 1024, 7);
  writeFileSync(join(dir, 'tiny.raw'), image);
  writeFileSync(join(dir, 'broken.raw'), image);
  const site = initSite({ configPath: join(dir, 'nimbusd.toml'), stateDir: join(dir, 'state'), providerId: 'deploy-test' });
  const sha = createHash('sha256').update(image).digest('hex');
  appendFileSync(
    site.configPath,
    [
      '',
      '[boot]',
      'enabled = true',
      'address = "127.0.0.1"',
      `ramdisk_dir = "${join(dir, 'ramdisk')}"`,
      `ipxe_dir = "${join(dir, 'ipxe')}"`,
      '[[images]]',
      'name = "tiny"',
      `file = "${join(dir, 'tiny.raw')}"`,
      `sha256 = "${sha}"`,
      '',
    ].join('\n'),
  );
  let text = readFileSync(site.configPath, 'utf8');
  text = text.replace(/^listen = ".*:2222"$/m, `listen = "127.0.0.1:${await freeTcpPort()}"`).replace(/^policy = "allowlist"$/m, 'policy = "open"');
  writeFileSync(site.configPath, text);
  config = loadConfig(site.configPath);
  config.metrics.enabled = false;
  config.tenants.policy = 'open';
  config.boot.pxeTimeoutSeconds = 3;
  config.boot.sshTimeoutSeconds = 5;

  const password = join(dir, 'bmc.pw');
  writeFileSync(password, 'password\n', { mode: 0o600 });
  chmodSync(password, 0o600);
  const store = new Store({ path: stateDbPath(config.stateDir), clock: () => new Date() });
  const { host } = new URL(peer.url);
  const machine = store.enrollMachine(
    { name: 'node1', bmc: { driver: 'redfish', address: host, username: 'admin', credentialsFile: password, options: { scheme: 'http', bootMode: 'legacy' } }, bootMacs: [MAC] },
    SYSTEM,
  );
  store.transition(machine.id, 'enrolled', 'inspecting', SYSTEM);
  store.transition(machine.id, 'inspecting', 'ready', SYSTEM);
  store.close();

  sshBanner = createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2 test\r\n'));
  await new Promise<void>((resolve) => sshBanner.listen(0, '127.0.0.1', resolve));
  daemon = new Daemon({
    config,
    reconcileIntervalMs: 50,
    instanceSshPort: (sshBanner.address() as { port: number }).port,
    bootOverrides: { ports: { http: 0, tftp: 0, dhcp: 0, dhcpProxy: 0 }, broadcastAddress: '127.0.0.1' },
  });
  serving = daemon.serve(stop.signal);
  while (!daemon.addresses) await new Promise((resolve) => setTimeout(resolve, 20));
});

afterAll(async () => {
  stop.abort();
  await serving;
  sshBanner?.close();
  peer?.child.kill();
});

const boot = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`http://127.0.0.1:${daemon.addresses!.boot!.http}${path}`, init);
const agent = (token: string, path: string, body?: string): Promise<Response> =>
  boot(path, { method: body === undefined ? 'GET' : 'POST', headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' }) }, ...(body === undefined ? {} : { body }) });

async function connect(): Promise<NimbusApiClient> {
  return NimbusApiClient.connect({ host: '127.0.0.1', port: daemon.addresses!.api.port, privateKey: tenant.privateKey, hostKeyFingerprint: readHostKey(config.api.hostKeyPath).fingerprint });
}


/** Waits for the iPXE script of the machine to carry a token (the deploy reached its network boot). */
async function tokenFromScript(): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const script = await (await boot(`/boot/ipxe/${MAC}`)).text();
    const token = /nimbus\.token=([A-Za-z0-9_-]+)/.exec(script)?.[1];
    if (token) return token;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the deploy never offered a network boot');
}

describe('a deploy through the daemon', () => {
  it('powers the machine on for a network boot, serves the ramdisk its image and seed, and ends deployed once SSH answers', async () => {
    const client = await connect();
    try {
      const { instance } = await client.call('instances.create', { request: { image: 'tiny', sshKeys: [tenant.publicKey], hostname: 'web-1' }, idempotencyKey: 'd1' });
      expect(instance.sshUser).toBe('root'); // the catalog image's login
      const events: InstanceEvent[] = [];
      const watching = client.watchInstance({ id: instance.id }, (e) => events.push(e));
      watching.catch(() => {}); // awaited below; a failure above must not leave it unhandled
      const token = await tokenFromScript();
      const system = await peer.get(SYSTEM_PATH);
      expect(system.PowerState).toBe('On');
      // Once, and the power-on that followed consumed it (as firmware does).
      expect(system.Boot).toMatchObject({ BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideMode: 'Legacy' });

      expect(await (await boot(`/boot/ramdisk/${token}/vmlinuz`)).text()).toBe('kernel bytes');
      const instructions = await (await agent(token, '/deploy/v1/instructions')).text();
      const values = Object.fromEntries(instructions.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
      expect(values).toMatchObject({ mode: 'deploy', image_compression: 'none', image_size: String(image.length), target_disk: 'auto' });
      const served = Buffer.from(await (await agent(token, new URL(values.image_url!).pathname)).arrayBuffer());
      expect(createHash('sha256').update(served).digest('hex')).toBe(values.image_sha256);
      const userData = await (await agent(token, `${new URL(values.seed_url!).pathname}/user-data`)).text();
      expect(userData).toContain('hostname: web-1');
      expect(userData).toContain(tenant.publicKey.trim().split(' ').slice(0, 2).join(' '));
      expect((await agent(token, '/deploy/v1/progress', 'phase=write&done=1&total=2')).status).toBe(200);
      const result = await agent(token, '/deploy/v1/result', 'status=ok&ip=127.0.0.1&disk=/dev/vda');
      expect(await result.text()).toBe('action=reboot\n');
      expect((await peer.get(SYSTEM_PATH)).Boot).toMatchObject({ BootSourceOverrideTarget: 'Hdd' });

      const last = await watching;
      expect(last.outcome).toBe('deployed');
      expect(last.instance).toMatchObject({ state: 'deployed', address: '127.0.0.1' });
      expect(events.map((e) => e.instance.phase?.name)).toEqual(expect.arrayContaining(['power', 'pxe', 'image', 'ssh']));

      // The token was for this one deploy.
      expect((await agent(token, '/deploy/v1/instructions')).status).toBe(403);

      // Released with a wipe: the ramdisk boots again, in wipe mode, before the machine is free.
      await expect(client.call('instances.delete', { id: instance.id, wipe: 'everything' as 'full' })).rejects.toThrow(/params.wipe: expected quick or full/);
      await client.call('instances.delete', { id: instance.id, wipe: 'quick' });
      const wipeToken = await tokenFromScript();
      expect(wipeToken).not.toBe(token);
      expect(await (await agent(wipeToken, '/deploy/v1/instructions')).text()).toBe('mode=wipe\ntarget_disk=auto\nwipe=quick\n');
      expect(await (await agent(wipeToken, '/deploy/v1/result', 'status=ok')).text()).toBe('action=poweroff\n');
      const released = await client.watchInstance({ id: instance.id }, () => {});
      expect(released.outcome).toBe('released');
      expect(released.instance.wipe).toBe('quick');
      expect((await peer.get(SYSTEM_PATH)).PowerState).toBe('Off');
    } finally {
      client.close();
    }
  });

  it('ends in error with the ramdisk’s class when the image checksum is wrong, and refuses a foreign token', async () => {
    const client = await connect();
    try {
      expect((await agent('not-a-real-token-at-all-0000', '/deploy/v1/instructions')).status).toBe(403);
      const { instance } = await client.call('instances.create', { request: { image: 'tiny', sshKeys: [tenant.publicKey] }, idempotencyKey: 'd2' });
      const watching = client.watchInstance({ id: instance.id }, () => {});
      watching.catch(() => {});
      const token = await tokenFromScript();
      await agent(token, '/deploy/v1/instructions');
      const answer = await agent(token, '/deploy/v1/result', 'status=failed&class=image_checksum&message=sha256+mismatch');
      expect(await answer.text()).toBe('action=poweroff\n');
      const last = await watching;
      expect(last.outcome).toBe('failed');
      expect(last.error).toEqual({ message: 'the ramdisk reported image_checksum: sha256 mismatch', class: 'image_checksum' });
    } finally {
      client.close();
    }
  });

  it('inspects a machine in band: the ramdisk reports its hardware, which is kept, and the machine is ready', async () => {
    const store = new Store({ path: stateDbPath(config.stateDir), clock: () => new Date() });
    try {
      const machine = store.listMachines()[0]!;
      store.transition(machine.id, 'error', 'inspecting', SYSTEM);
      const token = await tokenFromScript();
      expect(await (await agent(token, '/deploy/v1/instructions')).text()).toBe('mode=inspect\n');
      const report = { cpus: { count: 4, model: 'EPYC' }, memoryBytes: 8 * 2 ** 30, disks: [{ name: 'nvme0n1', sizeBytes: 1e12, model: 'PM9A3', rotational: false }], nics: [{ name: 'eth0', mac: MAC, speedMbps: 25000 }], system: { vendor: 'Contoso' } };
      const post = (path: string, body: string, type: string): Promise<Response> => boot(path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': type }, body });
      expect((await post('/deploy/v1/inventory', '{"cpus":', 'application/json')).status).toBe(400);
      expect((await post('/deploy/v1/inventory', JSON.stringify(report), 'application/json')).status).toBe(200);
      expect(await (await agent(token, '/deploy/v1/result', 'status=ok')).text()).toBe('action=poweroff\n');
      for (let i = 0; i < 100 && store.getMachine(machine.id).state !== 'ready'; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const inspected = store.getMachine(machine.id);
      expect(inspected.state).toBe('ready');
      expect(inspected.inventory?.data).toMatchObject({ cpus: { count: 4 }, nics: [{ mac: MAC, speedMbps: 25000 }] });
    } finally {
      store.close();
    }
  });

  it('refuses an image the catalog does not have before touching a machine', async () => {
    const client = await connect();
    try {
      await expect(client.call('instances.create', { request: { image: 'windows', sshKeys: [tenant.publicKey] }, idempotencyKey: 'd3' })).rejects.toThrow(
        /no image "windows" \(it offers: tiny\)/,
      );
    } finally {
      client.close();
    }
  });
});
