import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstanceBook } from './book.ts';
import { candidateOrder, createInstances, preferredCandidates, type CreateCandidate } from './create.ts';
import { endpoint, FakeConnector, fakeProvider, type FakeProvider } from './testdata/fake-provider.ts';

let dir: string;
let book: InstanceBook;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbusctl-create-'));
  book = new InstanceBook(join(dir, 'instances.json'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const candidate = (providerId: string, classId = 'default'): CreateCandidate => ({ endpoint: endpoint(providerId), classId });

function run(providers: Record<string, FakeProvider>, candidates: CreateCandidate[], count = 1, preferred?: number[]) {
  return createInstances({
    candidates,
    preferred: preferred ?? Array.from({ length: count }, () => 0),
    request: { image: 'tiny', sshKeys: ['ssh-ed25519 AAAA'] },
    names: Array.from({ length: count }, (_, i) => (count === 1 ? 'web' : `web-${i + 1}`)),
    image: 'tiny',
    identityFile: '/home/u/.ssh/id_ed25519',
    privateKey: 'key',
    runKey: 'run1',
    connector: new FakeConnector(providers),
    book,
    connectTimeoutMs: 1000,
  });
}

describe('createInstances', () => {
  it.each([
    ['down', 'unreachable'],
    ['host-key', 'host-key-mismatch'],
    ['auth', 'key-not-allowed'],
  ] as const)('passes over a provider that is %s (%s) and creates at the next', async (mode, result) => {
    const providers = { a: fakeProvider(mode, { default: 1 }), b: fakeProvider('up', { default: 1 }) };
    const out = await run(providers, [candidate('a'), candidate('b')]);
    expect(out.attempts.map((a) => [a.providerId, a.result, a.next])).toEqual([
      ['a', result, 'b/default'],
      ['b', 'created', null],
    ]);
    expect(out.created.map((c) => c.instance.id)).toEqual(['i-b-1']);
    expect(providers.b.creates[0]!.request).toMatchObject({ image: 'tiny', class: 'default', hostname: 'web' });
    expect((await book.list()).map((r) => [r.id, r.provider.providerId, r.state, r.name])).toEqual([['i-b-1', 'b', 'allocated', 'web']]);
  });

  it('skips a class the provider has none of free, and moves on after a conflict (the registry was stale)', async () => {
    const providers = { a: fakeProvider('up', { default: 0, big: 1 }), b: fakeProvider('up', { default: 1 }), c: fakeProvider('up', { default: 1 }) };
    providers.b.ready = { default: 0 }; // taken between capacity and create
    const out = await run(providers, [candidate('a'), candidate('b'), candidate('c')]);
    expect(out.attempts.map((a) => [a.providerId, a.result])).toEqual([
      ['a', 'no-capacity'],
      ['b', 'conflict'],
      ['c', 'created'],
    ]);
    expect(providers.a.creates).toEqual([]);
    // A conflict does not leave a pending create behind.
    expect((await book.read()).pending).toEqual({});
  });

  it('fails every instance when no candidate takes it, saying that none is left', async () => {
    const out = await run({ a: fakeProvider('down') }, [candidate('a')]);
    expect(out.failed).toEqual([0]);
    expect(out.attempts).toEqual([expect.objectContaining({ providerId: 'a', result: 'unreachable', next: null })]);
  });

  it('asks again with the same idempotency key when the answer is lost, and gets the one instance', async () => {
    const providers = { a: fakeProvider('up', { default: 2 }) };
    providers.a.loseAnswers = 1;
    const out = await run(providers, [candidate('a')]);
    expect(providers.a.creates.map((c) => c.key)).toEqual(['run1-0', 'run1-0']);
    expect(providers.a.instances).toHaveLength(1);
    expect(out.created.map((c) => c.instance.id)).toEqual(['i-a-1']);
    expect(out.attempts[0]!.message).toContain('already existed (same idempotency key)');
  });

  it('keeps the pending create in the record when the provider goes away after the call', async () => {
    const providers = { a: fakeProvider('up', { default: 2 }), b: fakeProvider('up', { default: 1 }) };
    providers.a.loseAnswers = 1;
    const connector = new FakeConnector(providers);
    const original = connector.connect.bind(connector);
    connector.connect = async (e) => {
      // The first connect works; the reconnect after the lost answer finds a down.
      if (e.providerId === 'a' && providers.a.connects === 1) providers.a.mode = 'down';
      return original(e);
    };
    const out = await createInstances({
      candidates: [candidate('a'), candidate('b')],
      preferred: [0],
      request: { image: 'tiny' },
      names: [undefined],
      image: 'tiny',
      identityFile: '/k',
      privateKey: 'k',
      runKey: 'r',
      connector,
      book,
      connectTimeoutMs: 1000,
    });
    expect(out.created.map((c) => c.candidate.endpoint.providerId)).toEqual(['b']);
    expect(Object.keys((await book.read()).pending)).toEqual(['a r-0']);
    // a's instance may exist: its key was recorded and is found again by `instance list` (see list.test.ts).
    expect(providers.a.instances.map((i) => i.idempotencyKey)).toEqual(['r-0']);
  });

  it('gives each of --count its own key and spreads them as placement assigned', async () => {
    const providers = { a: fakeProvider('up', { default: 1 }), b: fakeProvider('up', { default: 2 }) };
    const out = await run(providers, [candidate('a'), candidate('b')], 3, preferredCandidates([{ candidate: 0, machines: 1 }, { candidate: 1, machines: 2 }], 3));
    expect(out.created.map((c) => [c.instance.id, c.record.idempotencyKey, c.record.name])).toEqual([
      ['i-a-1', 'run1-0', 'web-1'],
      ['i-b-1', 'run1-1', 'web-2'],
      ['i-b-2', 'run1-2', 'web-3'],
    ]);
    expect(providers.a.connects).toBe(1);
  });
});

describe('candidate order', () => {
  it('tries the assigned candidate first, then the rest by rank', () => {
    expect(candidateOrder(4, 2)).toEqual([2, 0, 1, 3]);
    expect(candidateOrder(2, 0)).toEqual([0, 1]);
  });
  it('expands assignments to one preferred candidate per instance', () => {
    expect(preferredCandidates([{ candidate: 1, machines: 2 }], 3)).toEqual([1, 1, 1]);
    expect(preferredCandidates([], 1)).toEqual([0]);
  });
});
