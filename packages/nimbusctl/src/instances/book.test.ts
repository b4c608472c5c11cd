import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstanceBook, type PendingCreate } from './book.ts';
import type { RemoteInstance } from './provider-api.ts';
import { endpoint } from './testdata/fake-provider.ts';

let dir: string;
let file: string;
let book: InstanceBook;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbusctl-book-'));
  file = join(dir, 'nimbus', 'instances.json');
  book = new InstanceBook(file, () => new Date('2026-02-01T10:00:00Z'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const pending: PendingCreate = { idempotencyKey: 'k-0', provider: endpoint('fra1'), name: 'web', image: 'debian-12', identity: '/h/.ssh/id_ed25519', startedAt: '2026-02-01T09:59:00Z' };
const remote = (over: Partial<RemoteInstance> = {}): RemoteInstance => ({
  id: 'i-1',
  state: 'allocated',
  machineId: 'm',
  idempotencyKey: 'k-0',
  request: {},
  address: null,
  phase: null,
  createdAt: '2026-02-01T10:00:00Z',
  sshUser: 'debian',
  ...over,
});

describe('the instance record', () => {
  it('is empty before the first instance and keeps nothing on disk until then', async () => {
    expect(await book.list()).toEqual([]);
    expect(() => statSync(file)).toThrow();
  });

  it('records a pending create before the call, then the instance in its place, in a 0600 file', async () => {
    await book.addPending(pending);
    expect(Object.values((await book.read()).pending)).toEqual([pending]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const record = await book.recordCreated(pending, remote());
    expect(record).toMatchObject({ id: 'i-1', name: 'web', image: 'debian-12', sshUser: 'debian', idempotencyKey: 'k-0', state: 'allocated', seenAt: '2026-02-01T10:00:00.000Z' });
    expect(record.provider.providerId).toBe('fra1');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(data.pending).toEqual({});
    expect(Object.keys(data.instances)).toEqual(['i-1']);
    // No temp files left behind by the atomic replace.
    expect(readdirSync(join(dir, 'nimbus'))).toEqual(['instances.json']);
  });

  it('notes what a provider says and finds an instance by id, prefix or name', async () => {
    await book.recordCreated(pending, remote());
    await book.recordSeen([remote({ state: 'deployed', address: '10.0.0.5' }), remote({ id: 'i-unknown' })]);
    const r = await book.get('web');
    expect(r).toMatchObject({ id: 'i-1', state: 'deployed', address: '10.0.0.5' });
    expect((await book.get('i-')).id).toBe('i-1');
    await expect(book.get('nope')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    await book.remove('i-1');
    expect(await book.list()).toEqual([]);
  });

  it('refuses a file it cannot read as a record, saying what to do', async () => {
    await book.addPending(pending);
    writeFileSync(file, '{"instances": ');
    await expect(book.read()).rejects.toThrow(/is not JSON .*move it aside/);
    writeFileSync(file, '{"version": 9, "instances": {}}');
    await expect(book.read()).rejects.toMatchObject({ code: 'INSTANCE_RECORD_INVALID' });
  });
});
