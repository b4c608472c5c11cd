import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, ApiConnectionError, HostKeyMismatchError, NimbusApiClient } from './client.ts';
import { RPC_ERRORS } from './json-rpc.ts';
import type { Dispatcher } from './methods.ts';
import { startTestApi, testKey, type TestApi, type TestKey } from './testdata/api-fixture.ts';
import { hasOpenSsh, spawnOpenSsh } from './testdata/openssh-client.ts';

const admin = testKey();
const tenantA = testKey();
const tenantB = testKey();
const stranger = testKey();

function connect(api: TestApi, key: TestKey): Promise<NimbusApiClient> {
  return NimbusApiClient.connect({ host: '127.0.0.1', port: api.port, privateKey: key.privateKey, hostKeyFingerprint: api.host.fingerprint });
}

/** Rejects with the call's ApiCallError, for asserting on its code and data. */
async function callError(promise: Promise<unknown>): Promise<ApiCallError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiCallError);
  return err as ApiCallError;
}

/** A raw `exec nimbus-api` channel: write lines, read answer lines in order. */
async function rawChannel(api: TestApi, key: TestKey): Promise<{ send(text: string): void; next(): Promise<Record<string, unknown>>; close(): void }> {
  const ssh = new ssh2.Client();
  const channel = await new Promise<ClientChannel>((resolve, reject) => {
    ssh.once('error', reject);
    ssh.once('ready', () => ssh.exec('nimbus-api', (err, stream) => (err ? reject(err) : resolve(stream))));
    ssh.connect({ host: '127.0.0.1', port: api.port, username: 'x', privateKey: key.privateKey, hostVerifier: () => true });
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffered = '';
  channel.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  return {
    send: (text) => channel.write(text),
    next: async () => {
      const line = lines.shift() ?? (await new Promise<string>((resolve) => waiters.push(resolve)));
      return JSON.parse(line) as Record<string, unknown>;
    },
    close: () => ssh.end(),
  };
}

describe('the SSH API under an allowlist', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ adminKeys: [admin.fingerprint], tenantPolicy: 'allowlist', tenantKeys: [tenantA.fingerprint, tenantB.fingerprint] }, 2);
  });
  afterAll(() => api.close());

  it('lets a tenant see capacity, create an instance and list it; a repeated idempotency key returns the same instance', async () => {
    const client = await connect(api, tenantA);
    try {
      expect(await client.call('capacity', undefined)).toEqual({ free: 2, classes: { default: 2 } });
      const made = await client.call('instances.create', { request: { arch: 'x86_64', cores: 4 }, idempotencyKey: 'k1' });
      expect(made.created).toBe(true);
      expect(made.instance).toMatchObject({ tenant: tenantA.fingerprint, state: 'allocated', request: { arch: 'x86_64', cores: 4 } });
      const again = await client.call('instances.create', { request: { arch: 'x86_64', cores: 4 }, idempotencyKey: 'k1' });
      expect(again).toMatchObject({ created: false, instance: { id: made.instance.id } });
      expect(await client.call('capacity', undefined)).toEqual({ free: 1, classes: { default: 1 } });
      const listed = await client.call('instances.list', undefined);
      expect(listed.instances.map((i) => i.id)).toEqual([made.instance.id]);

      const reused = await callError(client.call('instances.create', { request: { arch: 'arm64' }, idempotencyKey: 'k1' }));
      expect(reused.rpcCode).toBe(RPC_ERRORS.CONFLICT);
      expect(reused.data).toMatchObject({ reason: 'idempotency-key-reused' });
      expect(reused.message).toMatch(/idempotency key k1 was already used for a different request/);

      const records = api.store.auditTail(50).filter((r) => r.actor === tenantA.fingerprint);
      expect(records.map((r) => `${r.action}:${r.result}`)).toEqual(
        expect.arrayContaining(['api.capacity:ok', 'instance.allocate:ok', 'api.instances.create:ok', 'api.instances.list:ok', 'api.instances.create:conflict']),
      );
    } finally {
      client.close();
    }
  });

  it('answers a second tenant about the first tenant’s instance exactly as about a missing id', async () => {
    const a = await connect(api, tenantA);
    const b = await connect(api, tenantB);
    try {
      const { instance } = await a.call('instances.create', { request: { cores: 1 }, idempotencyKey: 'for-isolation' });
      expect((await b.call('instances.list', undefined)).instances).toEqual([]);
      for (const method of ['instances.get', 'instances.delete'] as const) {
        const theirs = await callError(b.call(method, { id: instance.id }));
        const missing = await callError(b.call(method, { id: 'instance-999' }));
        expect(theirs.rpcCode).toBe(RPC_ERRORS.NOT_FOUND);
        expect({ code: theirs.rpcCode, data: theirs.data, message: theirs.message.replace(instance.id, 'ID') }).toEqual({
          code: missing.rpcCode,
          data: missing.data,
          message: missing.message.replace('instance-999', 'ID'),
        });
      }
      expect((await a.call('instances.get', { id: instance.id })).instance.state).toBe('allocated');
      expect((await a.call('instances.delete', { id: instance.id })).instance.state).toBe('releasing');
    } finally {
      a.close();
      b.close();
    }
  });

  it('answers no-ready-machine as a conflict with its reason', async () => {
    const client = await connect(api, tenantB);
    try {
      // Two machines: tenant A holds one live, one is releasing; nothing is ready.
      const err = await callError(client.call('instances.create', { request: {}, idempotencyKey: 'none-left' }));
      expect(err.rpcCode).toBe(RPC_ERRORS.CONFLICT);
      expect(err.data).toMatchObject({ reason: 'no-ready-machine' });
    } finally {
      client.close();
    }
  });

  it('refuses admin-only methods to tenants and serves them to admins', async () => {
    const tenant = await connect(api, tenantA);
    const operator = await connect(api, admin);
    try {
      for (const method of ['machines.list', 'machines.get', 'audit.tail']) {
        const err = await callError(tenant.call(method, { id: 'machine-1' }));
        expect(err.rpcCode).toBe(RPC_ERRORS.FORBIDDEN);
        expect(err.message).toMatch(/for admins only/);
      }
      expect((await operator.call('machines.list', undefined)).machines.map((m) => m.name)).toEqual(['node1', 'node2']);
      expect((await operator.call('machines.get', { id: 'machine-1' })).machine.name).toBe('node1');
      expect((await operator.call('instances.list', undefined)).instances.map((i) => i.tenant)).toContain(tenantA.fingerprint);
      const { records } = await operator.call('audit.tail', { limit: 500 });
      expect(records.some((r) => r.actor === tenantA.fingerprint && r.action === 'api.audit.tail' && r.result === 'denied')).toBe(true);
      expect(api.store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      tenant.close();
      operator.close();
    }
  });

  it('answers unknown methods with -32601 and bad params with -32602 naming the param', async () => {
    const client = await connect(api, tenantA);
    try {
      expect((await callError(client.call('instances.explode', {}))).rpcCode).toBe(RPC_ERRORS.METHOD_NOT_FOUND);
      const bad = await callError(client.call('instances.create', { request: 'big', idempotencyKey: 'k' }));
      expect(bad.rpcCode).toBe(RPC_ERRORS.INVALID_PARAMS);
      expect(bad.message).toMatch(/instances.create: params.request: expected an object, got "big"/);
      const noId = await callError(client.call('instances.get', {} as { id: string }));
      expect(noId.message).toMatch(/params.id: expected a non-empty string, got nothing/);
    } finally {
      client.close();
    }
  });

  it('refuses a key that is neither admin nor allowlisted at authentication', async () => {
    const err = await connect(api, stranger).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiConnectionError);
    expect((err as Error).message).toMatch(/authentication methods failed/);
  });

  it('refuses a server whose host key is not the pinned one', async () => {
    const other = testKey();
    const err = await NimbusApiClient.connect({ host: '127.0.0.1', port: api.port, privateKey: tenantA.privateKey, hostKeyFingerprint: other.fingerprint }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect((err as Error).message).toContain(`is ${api.host.fingerprint}, not the pinned ${other.fingerprint}`);
  });

  it('answers malformed JSON, a non-request and an oversized line with errors and keeps the channel working', async () => {
    const raw = await rawChannel(api, tenantA);
    try {
      raw.send('{"jsonrpc":"2.0","id":1,\n');
      expect(await raw.next()).toMatchObject({ id: null, error: { code: RPC_ERRORS.PARSE_ERROR } });
      raw.send('[1,2]\n');
      expect(await raw.next()).toMatchObject({ id: null, error: { code: RPC_ERRORS.INVALID_REQUEST } });
      raw.send(`{"jsonrpc":"2.0","id":2,"method":"capacity","params":{"pad":"${'x'.repeat(70 * 1024)}"}}\n`);
      expect(await raw.next()).toMatchObject({ id: null, error: { code: RPC_ERRORS.LIMIT_EXCEEDED, data: { limit: 64 * 1024 } } });
      raw.send('{"jsonrpc":"2.0","id":3,"method":"capacity"}\n');
      expect(await raw.next()).toEqual({ jsonrpc: '2.0', id: 3, result: { free: 0, classes: {} } });
    } finally {
      raw.close();
    }
  });
});

describe('connection limits', () => {
  it('refuses requests beyond the in-flight limit and serves the rest', async () => {
    const release: (() => void)[] = [];
    // Holds every call until the test lets it go, so the calls pile up in flight.
    const slow: Dispatcher = (_caller, request) => new Promise((resolve) => release.push(() => resolve({ method: request.method })));
    const api = await startTestApi({ adminKeys: [], tenantPolicy: 'open', tenantKeys: [] }, 0, slow, { maxInFlight: 2 });
    const raw = await rawChannel(api, tenantA);
    try {
      raw.send(['a', 'b', 'c'].map((id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'capacity' })).join('\n') + '\n');
      expect(await raw.next()).toMatchObject({ id: 'c', error: { code: RPC_ERRORS.LIMIT_EXCEEDED, data: { limit: 2 } } });
      expect(release).toHaveLength(2);
      release.forEach((go) => go());
      expect([await raw.next(), await raw.next()].map((r) => r.id).sort()).toEqual(['a', 'b']);
    } finally {
      raw.close();
      await api.close();
    }
  });
});

describe('the SSH API with OpenSSH as the client', () => {
  it.skipIf(!hasOpenSsh())('answers a JSON-RPC line sent by `ssh … nimbus-api` (skipped when openssh-client is not installed)', async () => {
    const api = await startTestApi({ adminKeys: [], tenantPolicy: 'open', tenantKeys: [] }, 1);
    try {
      const child = spawnOpenSsh(tenantA.privateKey, api.port, 'nimbus-api');
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin.end('{"jsonrpc":"2.0","id":7,"method":"capacity"}\n');
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
      expect(JSON.parse(stdout)).toEqual({ jsonrpc: '2.0', id: 7, result: { free: 1, classes: { default: 1 } } });
    } finally {
      await api.close();
    }
  });
});
