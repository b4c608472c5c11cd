import { describe, expect, it } from 'vitest';
import { endpoint, FakeConnector, fakeProvider } from '../instances/testdata/fake-provider.ts';
import { probeProviders } from './status.ts';

describe('providers status', () => {
  it('tells reachability, the host key check, whether the key is let in, and free capacity, for all providers at once', async () => {
    const connector = new FakeConnector({
      up: fakeProvider('up', { default: 2, gpu: 0 }),
      down: fakeProvider('down'),
      spoofed: fakeProvider('host-key'),
      closed: fakeProvider('auth'),
    });
    let t = 0;
    const statuses = await probeProviders(['up', 'down', 'spoofed', 'closed'].map(endpoint), { connector, privateKey: 'k', timeoutMs: 1000, now: () => (t += 7) });
    expect(statuses.map((s) => [s.id, s.reachable, s.hostKey, s.auth, s.capacity?.free ?? null])).toEqual([
      ['up', true, 'ok', 'ok', 2],
      ['down', false, 'unknown', 'unknown', null],
      ['spoofed', true, 'mismatch', 'unknown', null],
      ['closed', true, 'ok', 'refused', null],
    ]);
    expect(statuses.map((s) => typeof s.latencyMs)).toEqual(['number', 'object', 'number', 'number']);
    expect(statuses[0]!.capacity?.classes).toEqual({ default: 2, gpu: 0 });
    expect(statuses[1]!.error).toContain('unreachable');
  });

  it('gives up on a provider that does not answer in time', async () => {
    const [status] = await probeProviders([endpoint('slow')], { connector: { connect: () => new Promise(() => {}) }, privateKey: 'k', timeoutMs: 30 });
    expect(status).toMatchObject({ reachable: false, error: 'provider "slow" (127.0.0.1:1) did not answer within 30 ms' });
  });
});
