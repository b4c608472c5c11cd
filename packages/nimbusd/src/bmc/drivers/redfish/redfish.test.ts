import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BmcClient, BmcConfig } from '../../driver.ts';
import { BmcAuthError, BmcConfigError, BmcProtocolError, BmcUnsupportedError } from '../../errors.ts';
import { redfishDriver } from './index.ts';
import { configFor, startPeer, type Peer } from './testdata/emulator-peer.ts';

const LAYOUTS = [
  { mockup: 'public-rackmount1', system: '/redfish/v1/Systems/437XR1138R2', media: 'system', cpus: 1, mac: '12:44:6a:3b:04:11', nics: 3 },
  { mockup: 'public-tower', system: '/redfish/v1/Systems/437XR1238R2', media: 'manager', cpus: 8, mac: 'fb:aa:1d:4e:d0:7a', nics: 2 },
  { mockup: 'public-bladed', system: '/redfish/v1/Systems/529QB9450R6', media: 'none', cpus: 1, mac: undefined, nics: 0 },
] as const;

describe.each(LAYOUTS)('redfish driver against the emulator serving $mockup', ({ mockup, system, media, cpus, mac, nics }) => {
  let peer: Peer;
  let client: BmcClient;
  beforeAll(async () => {
    // Paging on, so every collection walk follows Members@odata.nextLink.
    peer = await startPeer(mockup, ['--page-size', '2']);
    client = redfishDriver.create(configFor(peer));
  });
  afterAll(async () => {
    await client.close();
    peer.child.kill();
  });

  it('powers off, on and cycles, and a plain GET then shows the PowerState', async () => {
    expect(await client.powerState!()).toBe('on');
    await client.setPower!('off');
    expect((await peer.get(system))['PowerState']).toBe('Off');
    await client.setPower!('off'); // already off: nothing to do, no error
    await client.setPower!('on');
    expect((await peer.get(system))['PowerState']).toBe('On');
    await client.setPower!('cycle'); // no PowerCycle in these mockups: ForceOff then On
    expect((await peer.get(system))['PowerState']).toBe('On');
    await client.setPower!('soft-off');
    expect(await client.powerState!()).toBe('off');
    await client.setPower!('reset'); // reset of an off machine powers it on
    expect((await peer.get(system))['PowerState']).toBe('On');
  });

  it('sets boot override PXE once, as a plain GET then shows', async () => {
    await client.setBootOverride!({ device: 'pxe', persistent: false, mode: 'uefi' });
    const boot = (await peer.get(system))['Boot'] as Record<string, unknown>;
    expect(boot['BootSourceOverrideTarget']).toBe('Pxe');
    expect(boot['BootSourceOverrideEnabled']).toBe('Once');
    expect(await client.bootOverride!()).toMatchObject({ device: 'pxe', persistent: false });
    await client.setBootOverride!({ device: 'disk', persistent: true, mode: 'uefi' });
    expect(await client.bootOverride!()).toMatchObject({ device: 'disk', persistent: true });
  });

  it('reads an inventory across paged collections', async () => {
    const inventory = await client.inventory!();
    expect(inventory.system.serial).toBeTruthy();
    // Collections are served two members a page, so these counts need every nextLink followed.
    expect(inventory.cpus).toHaveLength(cpus); // GPUs and FPGAs are not CPUs; rackmount1's CPU2 socket is Absent
    expect(inventory.nics).toHaveLength(nics); // VLAN interfaces repeat a MAC; the bladed systems list none
    if (mac !== undefined) expect(inventory.nics.map((n) => n.mac)).toContain(mac);
    expect(inventory.memory.totalGib ?? 0).toBeGreaterThanOrEqual(0);
  });

  it('reads temperatures from the chassis', async () => {
    const readings = await client.sensors!();
    const temperatures = readings.filter((r) => r.kind === 'temperature');
    expect(temperatures.length).toBeGreaterThan(0);
    expect(temperatures.some((t) => typeof t.value === 'number' && t.unit === 'C')).toBe(true);
  });

  it(`virtual media: ${media === 'none' ? 'unsupported, this mockup has none' : `inserts and ejects (under the ${media})`}`, async () => {
    if (media === 'none') {
      await expect(client.insertMedia!('http://images.example/boot.iso')).rejects.toBeInstanceOf(BmcUnsupportedError);
      return;
    }
    await client.insertMedia!('http://images.example/boot.iso');
    const path = media === 'system' ? `${system}/VirtualMedia/CD1` : '/redfish/v1/Managers/BMC/VirtualMedia/CD1';
    expect(await peer.get(path)).toMatchObject({ Image: 'http://images.example/boot.iso', Inserted: true });
    await client.ejectMedia!();
    expect(await peer.get(path)).toMatchObject({ Inserted: false });
    await client.ejectMedia!(); // nothing inserted: harmless
  });
});

describe('redfish driver faults', () => {
  let peer: Peer;
  const system = '/redfish/v1/Systems/437XR1138R2';
  beforeAll(async () => {
    peer = await startPeer('public-rackmount1');
  });
  afterEach(async () => {
    await peer.control({ clearFaults: true });
  });
  afterAll(() => {
    peer.child.kill();
  });

  it('logs in again, once, when the BMC expires its session', async () => {
    const client = redfishDriver.create(configFor(peer));
    expect(await client.powerState!()).toBe('on');
    const before = (await peer.get('/redfish/v1/SessionService/Sessions'))['Members'] as unknown[];
    expect(before).toHaveLength(1);
    await peer.control({ expireSessions: true });
    expect(await client.powerState!()).toBe('on');
    expect((await peer.get('/redfish/v1/SessionService/Sessions'))['Members']).toHaveLength(1);
    // Requests in flight together when the session dies share one new login.
    await peer.control({ expireSessions: true });
    await Promise.all([client.powerState!(), client.powerState!(), client.bootOverride!()]);
    expect((await peer.get('/redfish/v1/SessionService/Sessions'))['Members']).toHaveLength(1);
    await client.close();
    expect((await peer.get('/redfish/v1/SessionService/Sessions'))['Members']).toEqual([]);
  });

  it('re-reads and retries once when the ETag it sent is stale', async () => {
    const client = redfishDriver.create(configFor(peer));
    // The system changes between the driver's read and its PATCH: the first PATCH gets 412.
    await peer.control({ conflictOnNextPatch: system });
    await client.setBootOverride!({ device: 'cdrom', persistent: true, mode: 'uefi' });
    expect((await peer.get(system))['Boot']).toMatchObject({ BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Continuous' });
    expect((await peer.get(system))['Oem']).toMatchObject({ RedfishEmulator: { Revision: 1 } });
    await client.close();
  });

  it.each(['http-500', 'malformed-json'] as const)('turns %s into a BmcProtocolError naming the URL', async (kind) => {
    const client = redfishDriver.create(configFor(peer));
    await peer.control({ fault: { path: system, kind } });
    const err = await client.powerState!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BmcProtocolError);
    expect((err as BmcProtocolError).target).toBe(`${peer.url}${system}`);
    expect((err as Error).message).toContain(`${peer.url}${system}`);
    if (kind === 'http-500') expect((err as BmcProtocolError).messageId).toMatch(/\.InternalError$/);
    await client.close();
  });

  it('maps a refused ResetType to a BmcProtocolError with the MessageId', async () => {
    // rackmount1 lists no PowerCycle; asking the emulator directly shows the service's answer.
    const res = await fetch(`${peer.url}${system}/Actions/ComputerSystem.Reset`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` },
      body: JSON.stringify({ ResetType: 'PowerCycle' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { '@Message.ExtendedInfo': { MessageId: string }[] } };
    expect(body.error['@Message.ExtendedInfo'][0]!.MessageId).toMatch(/\.ActionParameterValueNotInList$/);
  });

  it('reports bad credentials as BmcAuthError without the password', async () => {
    const client = redfishDriver.create(configFor(peer, { password: 'not-the-password' }));
    const err = await client.powerState!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BmcAuthError);
    expect((err as Error).message).not.toContain('not-the-password');
  });

  it('falls back to Basic auth when the service offers no sessions', async () => {
    const basicPeer = await startPeer('public-rackmount1', ['--no-sessions']);
    try {
      const client = redfishDriver.create(configFor(basicPeer));
      expect(await client.powerState!()).toBe('on');
      expect((client as unknown as { authKind: string }).authKind).toBe('basic');
      await client.close();
    } finally {
      basicPeer.child.kill();
    }
  });
});

describe('redfish driver choosing one of several systems', () => {
  const BLADES = ['529QB9450R6', '529QB9451R6', '529QB9452R6', '529QB9453R6'];
  let bladed: Peer;
  let copies: Peer;
  beforeAll(async () => {
    // Paged two a page, so finding a blade by Id follows Members@odata.nextLink.
    [bladed, copies] = await Promise.all([startPeer('public-bladed', ['--page-size', '2']), startPeer('public-rackmount1', ['--systems', '5'])]);
  });
  afterAll(() => {
    bladed.child.kill();
    copies.child.kill();
  });
  const powerOf = async (peer: Peer, id: string): Promise<unknown> => (await peer.get(`/redfish/v1/Systems/${id}`))['PowerState'];

  it('drives the blade named by Id and leaves the others alone', async () => {
    const client = redfishDriver.create(configFor(bladed, { system: '529QB9452R6' }));
    await client.setPower!('off');
    expect(await client.powerState!()).toBe('off');
    expect(await Promise.all(BLADES.map((id) => powerOf(bladed, id)))).toEqual(['On', 'On', 'Off', 'On']);
    await client.setPower!('on');
    expect(await powerOf(bladed, '529QB9452R6')).toBe('On');
    await client.close();
  });

  it('drives the blade named by @odata.id path, and the first blade without a system', async () => {
    const byPath = redfishDriver.create(configFor(bladed, { system: '/redfish/v1/Systems/529QB9453R6/' }));
    const byDefault = redfishDriver.create(configFor(bladed));
    await byPath.setBootOverride!({ device: 'pxe', persistent: false, mode: 'uefi' });
    expect((await bladed.get('/redfish/v1/Systems/529QB9453R6'))['Boot']).toMatchObject({ BootSourceOverrideTarget: 'Pxe' });
    await byDefault.setPower!('off');
    expect(await Promise.all(BLADES.map((id) => powerOf(bladed, id)))).toEqual(['Off', 'On', 'On', 'On']);
    await byDefault.setPower!('on');
    await Promise.all([byPath.close(), byDefault.close()]);
  });

  it.each([
    ['an Id that is not there', 'NO-SUCH-BLADE', /no system with Id "NO-SUCH-BLADE" in \/redfish\/v1\/Systems/],
    ['a path that is not there', '/redfish/v1/Systems/NO-SUCH-BLADE', /no system at \/redfish\/v1\/Systems\/NO-SUCH-BLADE/],
    ['a path to something else', '/redfish/v1/Chassis/MultiBladeEncl', /is a Chassis\.v[\d_]+\.Chassis, not a ComputerSystem/],
  ])('refuses %s with a BmcConfigError naming the blades there are', async (_what, system, message) => {
    const client = redfishDriver.create(configFor(bladed, { system }));
    const err = await client.powerState!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BmcConfigError);
    expect((err as Error).message).toMatch(message);
    for (const id of BLADES) expect((err as Error).message).toContain(id);
    await client.close();
  });

  it('drives one copy among the systems an emulator serves with --systems', async () => {
    const byId = redfishDriver.create(configFor(copies, { system: '437XR1138R2-4' }));
    const byPath = redfishDriver.create(configFor(copies, { system: '/redfish/v1/Systems/437XR1138R2-2' }));
    await Promise.all([byId.setPower!('off'), byPath.setPower!('off')]);
    const ids = ['437XR1138R2', '437XR1138R2-2', '437XR1138R2-3', '437XR1138R2-4', '437XR1138R2-5'];
    expect(await Promise.all(ids.map((id) => powerOf(copies, id)))).toEqual(['On', 'Off', 'On', 'Off', 'On']);
    const beyond = redfishDriver.create(configFor(copies, { system: '437XR1138R2-6' }));
    await expect(beyond.powerState!()).rejects.toThrow(/the known systems are 437XR1138R2, 437XR1138R2-2, 437XR1138R2-3, 437XR1138R2-4, 437XR1138R2-5$/);
    await Promise.all([byId.close(), byPath.close(), beyond.close()]);
  });
});

describe('redfishDriver.validate', () => {
  const good: BmcConfig = { driver: 'redfish', host: 'bmc1.example', username: 'admin', password: 'secret' };
  it('accepts a complete config', () => {
    expect(redfishDriver.validate(good)).toEqual([]);
  });
  it.each([
    [{ host: '' }, 'host'],
    [{ host: 'https://bmc1.example' }, 'host'],
    [{ port: 70000 }, 'port'],
    [{ password: '' }, 'password'],
    [{ tlsFingerprint: 'abc' }, 'tlsFingerprint'],
    [{ scheme: 'http', tlsFingerprint: 'ab'.repeat(32) }, 'tlsFingerprint'],
    [{ cipherSuite: 3 }, 'cipherSuite'],
    [{ system: '' }, 'system'],
    [{ system: 'Systems/1' }, 'system'],
    [{ system: 'https://bmc1.example/redfish/v1/Systems/1' }, 'system'],
  ] as [Partial<BmcConfig>, string][])('rejects %o in setting %s before any network call', (change, setting) => {
    expect(redfishDriver.validate({ ...good, ...change }).map((p) => p.setting)).toContain(setting);
    expect(() => redfishDriver.create({ ...good, ...change })).toThrow(/Redfish BMC/);
  });
  it('never repeats the password in a problem', () => {
    const problems = redfishDriver.validate({ ...good, port: -1, password: 'hunter2' });
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });
});
