import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstanceBook } from './book.ts';
import { listInstances } from './list.ts';
import { endpoint, FakeConnector, fakeProvider } from './testdata/fake-provider.ts';
import type { ProviderConnector } from './provider-api.ts';

let dir: string;
let book: InstanceBook;
let now = new Date('2026-02-01T10:00:00Z');
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbusctl-list-'));
  book = new InstanceBook(join(dir, 'instances.json'), () => now);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const base = { image: 'tiny', identity: '/k', startedAt: '2026-02-01T09:00:00Z' };
const list = (connector: ProviderConnector, timeoutMs = 1000) => listInstances({ connector, book, readKey: () => 'key', timeoutMs, now: () => now });

describe('instance list', () => {
  it('asks each provider live, shows an unreachable one from the record with its age, and adopts a create whose answer was lost', async () => {
    const up = fakeProvider('up', { default: 2 });
    const down = fakeProvider('up', { default: 1 });
    const connector = new FakeConnector({ up, down });
    const upSession = await connector.connect(endpoint('up'));
    const downSession = await connector.connect(endpoint('down'));
    const a = (await upSession.create({ class: 'default' }, 'k1')).instance;
    const lost = (await upSession.create({ class: 'default' }, 'k2')).instance;
    const b = (await downSession.create({ class: 'default' }, 'k3')).instance;
    await book.recordCreated({ ...base, idempotencyKey: 'k1', provider: endpoint('up') }, a);
    await book.addPending({ ...base, idempotencyKey: 'k2', provider: endpoint('up') });
    await book.addPending({ ...base, idempotencyKey: 'never-made', provider: endpoint('up') });
    await book.recordCreated({ ...base, idempotencyKey: 'k3', provider: endpoint('down') }, b);
    a.state = 'deployed';
    a.address = '10.0.0.7';
    down.mode = 'down';
    now = new Date('2026-02-01T10:05:00Z');

    const out = await list(connector);
    expect(out.rows.map((r) => [r.id, r.state, r.address, r.stale, r.ageMs])).toEqual([
      [b.id, 'allocated', null, true, 300_000],
      [a.id, 'deployed', '10.0.0.7', false, undefined],
      [lost.id, 'allocated', null, false, undefined],
    ]);
    expect(out.unreachable).toEqual([{ providerId: 'down', message: expect.stringContaining('unreachable') }]);
    expect((await book.read()).pending).toEqual({});
  });

  it('gives up on a provider that does not answer in time', async () => {
    const hanging: ProviderConnector = { connect: () => new Promise(() => {}) };
    await book.recordCreated({ ...base, idempotencyKey: 'k', provider: endpoint('slow') }, { id: 'i-1', state: 'deployed', machineId: 'm', idempotencyKey: 'k', request: {}, address: null, phase: null, createdAt: now.toISOString() });
    const out = await list(hanging, 50);
    expect(out.rows).toEqual([expect.objectContaining({ id: 'i-1', stale: true })]);
    expect(out.unreachable[0]!.message).toContain('did not answer within 50 ms');
  });

  it('forgets instances the provider released or no longer knows', async () => {
    const p = fakeProvider('up', { default: 2 });
    const connector = new FakeConnector({ p });
    const session = await connector.connect(endpoint('p'));
    const released = (await session.create({ class: 'default' }, 'k1')).instance;
    await book.recordCreated({ ...base, idempotencyKey: 'k1', provider: endpoint('p') }, released);
    await book.recordCreated({ ...base, idempotencyKey: 'k9', provider: endpoint('p') }, { ...released, id: 'i-gone', idempotencyKey: 'k9' });
    released.state = 'released';
    const out = await list(connector);
    expect(out.rows.map((r) => [r.id, r.state])).toEqual([[released.id, 'released']]);
    expect(out.gone).toEqual(['i-gone']);
    expect(await book.list()).toEqual([]);
  });
});
