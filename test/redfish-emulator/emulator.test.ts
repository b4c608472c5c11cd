import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedfishEmulator } from './server.ts';
import type { RedfishBootOverride, RedfishPowerState, SystemBackend } from './system-backend.ts';

const BASIC = `Basic ${Buffer.from('admin:password').toString('base64')}`;
const SYSTEM = '/redfish/v1/Systems/437XR1138R2';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

function messageId(a: Answer): string {
  const error = a.body['error'] as { '@Message.ExtendedInfo': { MessageId: string }[] };
  return error['@Message.ExtendedInfo'][0]!.MessageId;
}

function client(emulator: RedfishEmulator) {
  return async (method: string, path: string, options: { body?: unknown; raw?: string; headers?: Record<string, string>; auth?: boolean } = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...(options.auth === false ? {} : { Authorization: BASIC }), ...options.headers };
    const init: RequestInit = { method, headers };
    if (options.raw !== undefined) init.body = options.raw;
    else if (options.body !== undefined) init.body = JSON.stringify(options.body);
    const res = await fetch(`${emulator.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
}

describe('Redfish emulator over public-rackmount1', () => {
  let emulator: RedfishEmulator;
  let call: ReturnType<typeof client>;
  beforeAll(async () => {
    emulator = await RedfishEmulator.start({ mockup: 'public-rackmount1', pageSize: 2 });
    call = client(emulator);
  });
  afterAll(() => emulator.close());

  it('listens on loopback and serves the service root without credentials', async () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const root = await call('GET', '/redfish/v1/', { auth: false });
    expect(root.status).toBe(200);
    expect(root.body['Systems']).toEqual({ '@odata.id': '/redfish/v1/Systems' });
  });

  it('answers 401 with NoValidSession to a request without a token or Basic auth', async () => {
    const res = await call('GET', SYSTEM, { auth: false });
    expect(res.status).toBe(401);
    expect(messageId(res)).toMatch(/\.NoValidSession$/);
    expect((await call('GET', SYSTEM, { auth: false, headers: { 'X-Auth-Token': 'made-up' } })).status).toBe(401);
  });

  it('logs in with a random token, serves with it, and logs out on DELETE', async () => {
    const login = await call('POST', '/redfish/v1/SessionService/Sessions', { auth: false, body: { UserName: 'admin', Password: 'password' } });
    expect(login.status).toBe(201);
    const token = login.headers.get('x-auth-token')!;
    const location = login.headers.get('location')!;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const again = await call('POST', '/redfish/v1/SessionService/Sessions', { auth: false, body: { UserName: 'admin', Password: 'password' } });
    expect(again.headers.get('x-auth-token')).not.toBe(token);
    expect((await call('GET', SYSTEM, { auth: false, headers: { 'X-Auth-Token': token } })).status).toBe(200);
    expect((await call('DELETE', location, { auth: false, headers: { 'X-Auth-Token': token } })).status).toBe(204);
    expect((await call('GET', SYSTEM, { auth: false, headers: { 'X-Auth-Token': token } })).status).toBe(401);
  });

  it('refuses a login with the wrong password', async () => {
    const res = await call('POST', '/redfish/v1/SessionService/Sessions', { auth: false, body: { UserName: 'admin', Password: 'wrong' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-auth-token')).toBeNull();
  });

  it('drops every session when told to expire them', async () => {
    const login = await call('POST', '/redfish/v1/SessionService/Sessions', { auth: false, body: { UserName: 'admin', Password: 'password' } });
    emulator.expireSessions();
    expect((await call('GET', SYSTEM, { auth: false, headers: { 'X-Auth-Token': login.headers.get('x-auth-token')! } })).status).toBe(401);
  });

  it('changes PowerState on Reset, and answers a ResetType not in the list with 400', async () => {
    const target = `${SYSTEM}/Actions/ComputerSystem.Reset`;
    expect((await call('POST', target, { body: { ResetType: 'ForceOff' } })).status).toBe(204);
    expect((await call('GET', SYSTEM)).body['PowerState']).toBe('Off');
    expect((await call('POST', target, { body: { ResetType: 'On' } })).status).toBe(204);
    expect((await call('GET', SYSTEM)).body['PowerState']).toBe('On');
    const bad = await call('POST', target, { body: { ResetType: 'PowerCycle' } });
    expect(bad.status).toBe(400);
    expect(messageId(bad)).toMatch(/^Base\.1\.\d+\.ActionParameterValueNotInList$/);
    expect(messageId(await call('POST', target, { body: {} }))).toMatch(/\.ActionParameterMissing$/);
  });

  it('validates a Boot PATCH against the allowable values and keeps it', async () => {
    const bad = await call('PATCH', SYSTEM, { body: { Boot: { BootSourceOverrideTarget: 'Floppy' } } });
    expect(bad.status).toBe(400);
    expect(messageId(bad)).toMatch(/\.PropertyValueNotInList$/);
    expect(messageId(await call('PATCH', SYSTEM, { body: { Boot: { BootSourceOverrideEnabled: 'Sometimes' } } }))).toMatch(/\.PropertyValueNotInList$/);
    expect(messageId(await call('PATCH', SYSTEM, { body: { PowerState: 'Off' } }))).toMatch(/\.PropertyNotWritable$/);
    expect((await call('PATCH', SYSTEM, { body: { Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Continuous' } } })).status).toBe(204);
    expect((await call('GET', SYSTEM)).body['Boot']).toMatchObject({ BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Continuous' });
  });

  it('consumes a one-time boot override when the machine boots', async () => {
    await call('PATCH', SYSTEM, { body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } } });
    await call('POST', `${SYSTEM}/Actions/ComputerSystem.Reset`, { body: { ResetType: 'ForceRestart' } });
    expect((await call('GET', SYSTEM)).body['Boot']).toMatchObject({ BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Disabled' });
  });

  it('carries an ETag that changes with the resource, and answers a stale If-Match with 412', async () => {
    const first = (await call('GET', SYSTEM)).headers.get('etag')!;
    expect(first).toMatch(/^W\/"[0-9a-f]+"$/);
    expect((await call('GET', SYSTEM)).headers.get('etag')).toBe(first);
    expect((await call('PATCH', SYSTEM, { headers: { 'If-Match': first }, body: { Boot: { BootSourceOverrideTarget: 'Hdd' } } })).status).toBe(204);
    const second = (await call('GET', SYSTEM)).headers.get('etag')!;
    expect(second).not.toBe(first);
    const stale = await call('PATCH', SYSTEM, { headers: { 'If-Match': first }, body: { Boot: { BootSourceOverrideTarget: 'Pxe' } } });
    expect(stale.status).toBe(412);
    expect(messageId(stale)).toMatch(/\.PreconditionFailed$/);
    expect((await call('GET', SYSTEM)).body['Boot']).toMatchObject({ BootSourceOverrideTarget: 'Hdd' });
  });

  it('pages collections with Members@odata.nextLink', async () => {
    const first = await call('GET', `${SYSTEM}/EthernetInterfaces`);
    expect(first.body['Members']).toHaveLength(2);
    expect(first.body['Members@odata.count']).toBe(4);
    const next = first.body['Members@odata.nextLink'] as string;
    const second = await call('GET', next);
    expect(second.body['Members']).toHaveLength(2);
    expect(second.body['Members@odata.nextLink']).toBeUndefined();
    expect((await call('GET', `${SYSTEM}/EthernetInterfaces?$skip=-1`)).status).toBe(400);
  });

  it('inserts and ejects virtual media', async () => {
    const cd = `${SYSTEM}/VirtualMedia/CD2`;
    const before = await call('GET', cd);
    const actions = before.body['Actions'] as Record<string, { target: string }>;
    if (before.body['Inserted'] === true) await call('POST', actions['#VirtualMedia.EjectMedia']!.target, { body: {} });
    expect((await call('POST', actions['#VirtualMedia.InsertMedia']!.target, { body: { Image: 'http://x.example/a.iso' } })).status).toBe(204);
    expect((await call('GET', cd)).body).toMatchObject({ Image: 'http://x.example/a.iso', Inserted: true });
    expect(messageId(await call('POST', actions['#VirtualMedia.InsertMedia']!.target, { body: { Image: 'http://x.example/b.iso' } }))).toMatch(/\.ResourceInUse$/);
    expect((await call('POST', actions['#VirtualMedia.EjectMedia']!.target, { body: {} })).status).toBe(204);
    expect((await call('GET', cd)).body).toMatchObject({ Image: null, Inserted: false });
  });

  it('rejects malformed input: bad JSON, unknown path, wrong method', async () => {
    const badJson = await call('PATCH', SYSTEM, { raw: '{"Boot": {' });
    expect(badJson.status).toBe(400);
    expect(messageId(badJson)).toMatch(/\.MalformedJSON$/);
    expect(messageId(await call('PATCH', SYSTEM, { raw: '[1,2]' }))).toMatch(/\.MalformedJSON$/);
    const missing = await call('GET', '/redfish/v1/Systems/NoSuchSystem');
    expect(missing.status).toBe(404);
    expect(messageId(missing)).toMatch(/\.ResourceMissingAtURI$/);
    const wrong = await call('DELETE', SYSTEM);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await call('PUT', SYSTEM, { body: {} })).status).toBe(405);
    expect((await call('PATCH', '/redfish/v1/Chassis/1U', { body: {} })).status).toBe(405);
    expect((await call('GET', '/redfish/v1/%E0%A4%A')).status).toBe(404);
    // The emulator is still serving after all of that.
    expect((await call('GET', SYSTEM)).status).toBe(200);
  });

  it('injects a 500 or malformed JSON on a path until cleared', async () => {
    emulator.injectFault(SYSTEM, 'http-500');
    const failed = await call('GET', SYSTEM);
    expect(failed.status).toBe(500);
    expect(messageId(failed)).toMatch(/\.InternalError$/);
    emulator.injectFault(SYSTEM, 'malformed-json');
    const res = await fetch(`${emulator.url}${SYSTEM}`, { headers: { Authorization: BASIC } });
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
    emulator.clearFaults();
    expect((await call('GET', SYSTEM)).status).toBe(200);
  });
});

describe('Redfish emulator options', () => {
  it('serves many copies of the system, each with its own power state', async () => {
    const emulator = await RedfishEmulator.start({ mockup: 'public-tower', systemCount: 3 });
    try {
      const call = client(emulator);
      const systems = await call('GET', '/redfish/v1/Systems');
      expect(systems.body['Members@odata.count']).toBe(3);
      await call('POST', '/redfish/v1/Systems/437XR1238R2-3/Actions/ComputerSystem.Reset', { body: { ResetType: 'ForceOff' } });
      expect((await call('GET', '/redfish/v1/Systems/437XR1238R2-3')).body).toMatchObject({ Id: '437XR1238R2-3', PowerState: 'Off' });
      expect((await call('GET', '/redfish/v1/Systems/437XR1238R2')).body['PowerState']).toBe('On');
      expect((await call('GET', '/redfish/v1/Systems/437XR1238R2-2/Processors')).body['@odata.id']).toBe('/redfish/v1/Systems/437XR1238R2-2/Processors');
      expect((await call('GET', '/redfish/v1/Systems/437XR1238R2-4')).status).toBe(404);
      expect((await call('GET', '/redfish/v1/Systems/437XR1238R2-1')).status).toBe(404);
    } finally {
      await emulator.close();
    }
  });

  it('hands power and boot override to a pluggable system backend', async () => {
    const calls: string[] = [];
    class RecordingBackend implements SystemBackend {
      state: RedfishPowerState = 'Off';
      async powerState() {
        return this.state;
      }
      async power(resetType: string) {
        calls.push(`power ${resetType}`);
        this.state = 'On';
      }
      async bootOverride(o: RedfishBootOverride) {
        calls.push(`boot ${o.target} ${o.enabled}`);
      }
    }
    const emulator = await RedfishEmulator.start({ mockup: 'public-bladed', backend: () => new RecordingBackend() });
    try {
      const call = client(emulator);
      const system = '/redfish/v1/Systems/529QB9450R6';
      expect((await call('GET', system)).body['PowerState']).toBe('Off');
      await call('PATCH', system, { body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } } });
      await call('POST', `${system}/Actions/ComputerSystem.Reset`, { body: { ResetType: 'On' } });
      expect(calls).toEqual(['boot Pxe Once', 'power On']);
      // This blade's Boot has no Mode property, so the emulator refuses one.
      expect(messageId(await call('PATCH', system, { body: { Boot: { BootSourceOverrideMode: 'UEFI' } } }))).toMatch(/\.PropertyUnknown$/);
    } finally {
      await emulator.close();
    }
  });

  it('uses configured credentials and can leave out the SessionService', async () => {
    const emulator = await RedfishEmulator.start({ mockup: 'public-rackmount1', username: 'ops', password: 's3cret', offerSessions: false });
    try {
      const call = client(emulator);
      expect((await call('GET', SYSTEM)).status).toBe(401);
      expect((await call('GET', SYSTEM, { auth: false, headers: { Authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` } })).status).toBe(200);
      expect((await call('GET', '/redfish/v1/', { auth: false })).body['SessionService']).toBeUndefined();
      expect((await call('POST', '/redfish/v1/SessionService/Sessions', { auth: false, body: { UserName: 'ops', Password: 's3cret' } })).status).toBe(401);
    } finally {
      await emulator.close();
    }
  });

  it('says which mockup it could not find', async () => {
    await expect(RedfishEmulator.start({ mockup: 'public-nothing' })).rejects.toThrow(/public-nothing/);
  });
});
