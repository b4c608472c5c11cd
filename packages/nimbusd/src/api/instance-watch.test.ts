import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NimbusApiClient } from './client.ts';
import type { InstanceEvent } from './instance-watch.ts';
import { startTestApi, testKey, type TestApi, type TestKey } from './testdata/api-fixture.ts';

const SYSTEM = { fingerprint: 'nimbusd', role: 'system' } as const;

describe('instances.watch over the SSH API', () => {
  let api: TestApi;
  let tenant: TestKey;
  let admin: TestKey;
  const connect = (key: TestKey): Promise<NimbusApiClient> =>
    NimbusApiClient.connect({ host: '127.0.0.1', port: api.port, privateKey: key.privateKey, hostKeyFingerprint: api.host.fingerprint });

  beforeAll(async () => {
    tenant = testKey();
    admin = testKey();
    api = await startTestApi({ adminKeys: [admin.fingerprint], tenantPolicy: 'open', tenantKeys: [] }, 4);
  });
  afterAll(() => api.close());

  it('streams each change of state and phase, and ends with the outcome once deployed', async () => {
    const client = await connect(tenant);
    try {
      const { instance } = await client.call('instances.create', { request: { image: 'tiny' }, idempotencyKey: 'w1' });
      const events: InstanceEvent[] = [];
      const done = client.watchInstance({ id: instance.id }, (event) => {
        events.push(event);
        // Each step is taken only once the watcher has seen the one before, so none can be coalesced.
        const step = STEPS[events.length - 1];
        if (step) setImmediate(() => step(api, instance.machineId, instance.id));
      });
      const last = await done;
      expect(events.map((e) => `${e.instance.state}/${e.instance.phase?.name ?? '-'}`)).toEqual(['allocated/-', 'deploying/-', 'deploying/pxe']);
      expect(last.outcome).toBe('deployed');
      expect(last.instance).toMatchObject({ state: 'deployed', address: '10.0.0.9' });
    } finally {
      client.close();
    }
  });

  it('ends a failed deploy with its error class; the hint (provider equipment) only for admins', async () => {
    const tenantClient = await connect(tenant);
    const adminClient = await connect(admin);
    try {
      const { instance } = await tenantClient.call('instances.create', { request: { image: 'tiny' }, idempotencyKey: 'w2' });
      api.store.transition(instance.machineId, 'allocated', 'deploying', SYSTEM);
      const watching = tenantClient.watchInstance({ id: instance.id }, () => {});
      api.store.transition(instance.machineId, 'deploying', 'error', SYSTEM, { error: 'no DHCP request within 300 s', errorClass: 'pxe_timeout', hint: 'check the switch port of bmc 10.1.2.3' });
      const seenByTenant = await watching;
      expect(seenByTenant.outcome).toBe('failed');
      expect(seenByTenant.error).toEqual({ message: 'no DHCP request within 300 s', class: 'pxe_timeout' });
      const seenByAdmin = await adminClient.watchInstance({ id: instance.id }, () => {});
      expect(seenByAdmin.error).toMatchObject({ class: 'pxe_timeout', hint: 'check the switch port of bmc 10.1.2.3' });
    } finally {
      tenantClient.close();
      adminClient.close();
    }
  });

  it('answers at once for an instance with nothing to deploy, and times out a deploy that does not move', async () => {
    const client = await connect(tenant);
    try {
      const bare = (await client.call('instances.create', { request: {}, idempotencyKey: 'w3' })).instance;
      expect((await client.watchInstance({ id: bare.id }, () => {})).outcome).toBe('allocated');
      await client.call('instances.delete', { id: bare.id });
      const { instance } = await client.call('instances.create', { request: { image: 'tiny' }, idempotencyKey: 'w4' });
      expect((await client.watchInstance({ id: instance.id, timeoutSeconds: 1 }, () => {})).outcome).toBe('timeout');
    } finally {
      client.close();
    }
  });
});

/** The deploy steps the first test takes, one per event seen. */
const STEPS: ((api: TestApi, machineId: string, instanceId: string) => void)[] = [
  (api, machineId) => api.store.transition(machineId, 'allocated', 'deploying', SYSTEM),
  (api, _m, instanceId) => api.store.updateInstanceProgress(instanceId, { phase: 'pxe' }),
  (api, machineId, instanceId) => {
    api.store.updateInstanceProgress(instanceId, { address: '10.0.0.9' });
    api.store.transition(machineId, 'deploying', 'deployed', SYSTEM);
  },
];
