import { describe, expect, it } from 'vitest';
import { DhcpConfigError } from './errors.ts';
import { DECLINE_HOLD_MS, LeaseTable, OFFER_HOLD_MS, type DhcpPoolOptions, type LeaseClient } from './leases.ts';

const POOL: DhcpPoolOptions = { start: '10.9.0.10', end: '10.9.0.13', netmask: '255.255.255.0', router: '10.9.0.12', leaseSeconds: 600 };

function client(n: number, id?: string): LeaseClient {
  const mac = `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`;
  return { key: id ? `id:${id}` : `mac:${mac}`, mac };
}

function table(pool: DhcpPoolOptions = POOL): { leases: LeaseTable; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { leases: new LeaseTable(pool, '10.9.0.11', () => now), advance: (ms) => (now += ms) };
}

describe('LeaseTable', () => {
  it('leaves the server, router, network and broadcast addresses out of the pool', () => {
    const { leases } = table({ ...POOL, start: '10.9.0.0', end: '10.9.0.255' });
    expect(['10.9.0.0', '10.9.0.11', '10.9.0.12', '10.9.0.255'].map((a) => leases.inPool(a))).toEqual([false, false, false, false]);
    expect(leases.inPool('10.9.0.10')).toBe(true);
  });

  it('offers a client the same address again, before and after binding and after a release', () => {
    const { leases } = table();
    const first = leases.offer(client(1));
    expect(first?.address).toBe('10.9.0.10');
    expect(leases.offer(client(1))?.address).toBe('10.9.0.10');
    expect(leases.bind(client(1), '10.9.0.10')).toMatchObject({ ok: true, lease: { state: 'bound' } });
    expect(leases.offer(client(1))).toMatchObject({ address: '10.9.0.10', state: 'bound' });
    expect(leases.release(client(1), '10.9.0.10')).toBe(true);
    expect(leases.offer(client(2))?.address).toBe('10.9.0.13');
    expect(leases.offer(client(1))?.address).toBe('10.9.0.10');
  });

  it('recognizes a client by MAC when its client id changes (PXE firmware, then iPXE, then the OS)', () => {
    const { leases } = table();
    expect(leases.bind(client(1), '10.9.0.13').ok).toBe(true);
    expect(leases.offer(client(1, 'ff0001'))?.address).toBe('10.9.0.13');
  });

  it('gives a new client a never-used address before taking back an expired one', () => {
    const { leases, advance } = table();
    expect(leases.bind(client(1), '10.9.0.10').ok).toBe(true);
    advance(601_000);
    // 10.9.0.10 expired, but 10.9.0.13 was never used.
    expect(leases.offer(client(2))?.address).toBe('10.9.0.13');
    // Now only the expired one is left.
    expect(leases.offer(client(3))?.address).toBe('10.9.0.10');
  });

  it('holds an offer for OFFER_HOLD_MS, then lets another client have it', () => {
    const { leases, advance } = table();
    expect(leases.offer(client(1))?.address).toBe('10.9.0.10');
    expect(leases.offer(client(2))?.address).toBe('10.9.0.13');
    expect(leases.offer(client(3))).toBeNull();
    advance(OFFER_HOLD_MS);
    expect(leases.offer(client(3))?.address).toBe('10.9.0.10');
  });

  it('refuses to bind an address another client holds, or one outside the pool', () => {
    const { leases, advance } = table();
    expect(leases.bind(client(1), '10.9.0.10').ok).toBe(true);
    expect(leases.bind(client(2), '10.9.0.10')).toEqual({ ok: false, reason: 'taken' });
    expect(leases.bind(client(2), '10.9.0.11')).toEqual({ ok: false, reason: 'outside-pool' });
    expect(leases.bind(client(2), '10.9.1.10')).toEqual({ ok: false, reason: 'outside-pool' });
    advance(600_000);
    expect(leases.bind(client(2), '10.9.0.10').ok).toBe(true);
  });

  it('keeps one address per client: binding a second gives up the first', () => {
    const { leases } = table();
    expect(leases.bind(client(1), '10.9.0.10').ok).toBe(true);
    expect(leases.bind(client(1), '10.9.0.13').ok).toBe(true);
    expect(leases.bind(client(2), '10.9.0.10').ok).toBe(true);
  });

  it('keeps a declined address out of use for DECLINE_HOLD_MS', () => {
    const { leases, advance } = table();
    expect(leases.offer(client(1))?.address).toBe('10.9.0.10');
    expect(leases.decline(client(1), '10.9.0.10')).toBe(true);
    expect(leases.offer(client(1))?.address).toBe('10.9.0.13');
    expect(leases.bind(client(2), '10.9.0.10')).toEqual({ ok: false, reason: 'declined' });
    advance(DECLINE_HOLD_MS);
    expect(leases.bind(client(2), '10.9.0.10').ok).toBe(true);
  });

  it('does not let one client decline or release another client\'s lease', () => {
    const { leases } = table();
    expect(leases.bind(client(1), '10.9.0.10').ok).toBe(true);
    expect(leases.decline(client(2), '10.9.0.10')).toBe(false);
    expect(leases.release(client(2), '10.9.0.10')).toBe(false);
    expect(leases.records()).toMatchObject([{ address: '10.9.0.10', state: 'bound' }]);
  });

  it('offers the requested address (option 50) when it is free', () => {
    const { leases } = table();
    expect(leases.offer(client(1), '10.9.0.13')?.address).toBe('10.9.0.13');
    expect(leases.offer(client(2), '10.9.0.13')?.address).toBe('10.9.0.10');
  });

  it('persists bindings but not offers, and drops restored leases outside the pool', () => {
    const { leases } = table();
    leases.offer(client(1));
    expect(leases.bind(client(2), '10.9.0.13').ok).toBe(true);
    const records = leases.records();
    expect(records.map((r) => r.address)).toEqual(['10.9.0.13']);
    const { leases: restarted } = table();
    expect(restarted.restore([...records, { ...(records[0] as (typeof records)[0]), address: '10.9.0.99' }]).map((r) => r.address)).toEqual(['10.9.0.99']);
    expect(restarted.offer(client(3))?.address).toBe('10.9.0.10');
    expect(restarted.offer(client(2))?.address).toBe('10.9.0.13');
  });

  it.each<[string, Partial<DhcpPoolOptions>, RegExp]>([
    ['a bad start', { start: '10.9.0' }, /pool.start/],
    ['start after end', { start: '10.9.0.20' }, /comes after/],
    ['a non-contiguous netmask', { netmask: '255.0.255.0' }, /netmask/],
    ['a pool across subnets', { end: '10.9.1.5' }, /more than one/],
    ['a short lease', { leaseSeconds: 5 }, /leaseSeconds/],
    ['no usable address', { start: '10.9.0.11', end: '10.9.0.12' }, /no address left/],
  ])('rejects %s', (_name, change, message) => {
    expect(() => new LeaseTable({ ...POOL, ...change }, '10.9.0.11')).toThrow(DhcpConfigError);
    expect(() => new LeaseTable({ ...POOL, ...change }, '10.9.0.11')).toThrow(message);
  });
});
