// The console channel of the SSH API (`exec nimbus-console`): one request line, its
// answer, then raw bytes; malformed first lines; who closes and why; OpenSSH as a client.
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../state/index.ts';
import { ApiCallError, NimbusApiClient } from './client.ts';
import { RPC_ERRORS } from './json-rpc.ts';
import { startTestApi, testKey, type TestApi } from './testdata/api-fixture.ts';
import { LoopbackConsole } from './testdata/loopback-console.ts';
import { hasOpenSsh, spawnOpenSsh } from './testdata/openssh-client.ts';

const tenant = testKey();
const MAX_LINE = 512;

/** Runs one raw console channel: writes `input`, collects stdout, stderr and the exit status until it closes. */
async function rawConsole(api: TestApi, input: string | Buffer, { endAfterMs }: { endAfterMs?: number } = {}): Promise<{ stdout: string; stderr: string; status: number | null }> {
  const ssh = new ssh2.Client();
  const channel = await new Promise<ClientChannel>((resolve, reject) => {
    ssh.once('error', reject);
    ssh.once('ready', () => ssh.exec('nimbus-console', (err, stream) => (err ? reject(err) : resolve(stream))));
    ssh.connect({ host: '127.0.0.1', port: api.port, username: 'x', privateKey: tenant.privateKey, hostVerifier: () => true });
  });
  let stdout = '';
  let stderr = '';
  let status: number | null = null;
  channel.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
  channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  channel.on('exit', (code: number | null) => (status = code));
  const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
  channel.write(input);
  const timer = endAfterMs === undefined ? undefined : setTimeout(() => channel.destroy(), endAfterMs);
  await closed;
  clearTimeout(timer);
  ssh.end();
  return { stdout, stderr, status };
}

describe('the console channel', () => {
  let api: TestApi;
  let client: NimbusApiClient;
  let instance: Instance;
  const consoles: LoopbackConsole[] = [];

  beforeAll(async () => {
    api = await startTestApi({ adminKeys: [], tenantPolicy: 'allowlist', tenantKeys: [tenant.fingerprint] }, 2, undefined, {
      maxLineBytes: MAX_LINE,
      services: {
        openConsole: async () => {
          const console = new LoopbackConsole();
          consoles.push(console);
          return console;
        },
      },
    });
    client = await NimbusApiClient.connect({ host: '127.0.0.1', port: api.port, privateKey: tenant.privateKey, hostKeyFingerprint: api.host.fingerprint });
    instance = (await client.call('instances.create', { request: {}, idempotencyKey: 'console' })).instance;
  });
  afterAll(async () => {
    client?.close();
    await api?.close();
  });

  it('answers the request, then carries bytes both ways; input sent with the request line is not lost', async () => {
    const run = rawConsole(api, `${JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'instances.console', params: { id: instance.id } })}\nearly-keys`, { endAfterMs: 500 });
    const { stdout } = await run;
    const [answer, ...rest] = stdout.split('\n');
    expect(JSON.parse(answer!)).toMatchObject({ jsonrpc: '2.0', id: 9, result: { instance: { id: instance.id }, via: 'loopback' } });
    expect(rest.join('\n')).toBe('early-keys');
    expect(consoles.at(-1)!.written).toBe('early-keys');
    // The client left: the console was closed with that reason.
    expect(consoles.at(-1)!.closeReason).toBe('the client left');
  });

  it.each([
    ['a line that is not JSON', 'not json\n', RPC_ERRORS.PARSE_ERROR],
    ['another method', `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'instances.get', params: { id: 'x' } })}\n`, RPC_ERRORS.INVALID_REQUEST],
    ['a request that is not JSON-RPC', '{"id":1}\n', RPC_ERRORS.INVALID_REQUEST],
    ['a first line over the limit', `${'x'.repeat(MAX_LINE * 2)}\n`, RPC_ERRORS.LIMIT_EXCEEDED],
  ])('answers %s with an error and closes with status 2, opening nothing', async (_name, input, code) => {
    const opened = consoles.length;
    const { stdout, status } = await rawConsole(api, input);
    expect(JSON.parse(stdout.split('\n')[0]!)).toMatchObject({ error: { code } });
    expect(status).toBe(2);
    expect(consoles).toHaveLength(opened);
  });

  it('refuses too much input before the console is open, and closes the console that opens late', async () => {
    const late: LoopbackConsole[] = [];
    const slow = await startTestApi({ adminKeys: [], tenantPolicy: 'allowlist', tenantKeys: [tenant.fingerprint] }, 1, undefined, {
      maxLineBytes: MAX_LINE,
      services: {
        openConsole: () => new Promise((resolve) => setTimeout(() => { const c = new LoopbackConsole(); late.push(c); resolve(c); }, 300)),
      },
    });
    try {
      const owner = await NimbusApiClient.connect({ host: '127.0.0.1', port: slow.port, privateKey: tenant.privateKey, hostKeyFingerprint: slow.host.fingerprint });
      const made = (await owner.call('instances.create', { request: {}, idempotencyKey: 'slow' })).instance;
      owner.close();
      const request = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'instances.console', params: { id: made.id } })}\n`;
      const { stderr, status } = await rawConsole(slow, Buffer.concat([Buffer.from(request), Buffer.alloc(MAX_LINE * 3, 0x61)]));
      expect(status).toBe(2);
      expect(stderr).toBe(`more than ${MAX_LINE} bytes of input before the console opened; dropped\n`);
      await new Promise((r) => setTimeout(r, 400));
      expect(late).toHaveLength(1);
      expect(late[0]!.closeReason).toBe('the client left');
      expect(late[0]!.written).toBe('');
    } finally {
      await slow.close();
    }
  });

  it('tells the client why nimbusd closed the console', async () => {
    const session = await client.openConsole({ id: instance.id });
    session.stream.resume(); // closing is seen once what came before it is read
    consoles.at(-1)!.close(`instance ${instance.id} was released`);
    expect(await session.closed).toEqual({ status: 1, reason: `console closed: instance ${instance.id} was released` });
  });

  it('answers a console asked for on the JSON channel with where to open it', async () => {
    const err = (await client.call('instances.console', { id: instance.id }).catch((e: unknown) => e)) as ApiCallError;
    expect(err).toBeInstanceOf(ApiCallError);
    expect(err.rpcCode).toBe(RPC_ERRORS.INVALID_REQUEST);
    expect(err.message).toMatch(/channel of its own \(exec nimbus-console\)/);
  });

  it('refuses the console of a released instance', async () => {
    const other = (await client.call('instances.create', { request: {}, idempotencyKey: 'console-2' })).instance;
    await client.call('instances.delete', { id: other.id });
    const err = (await client.openConsole({ id: other.id }).catch((e: unknown) => e)) as ApiCallError;
    expect(err.rpcCode).toBe(RPC_ERRORS.CONFLICT);
    expect(err.message).toMatch(/is releasing; its console went with it/);
  });

  it.skipIf(!hasOpenSsh())('serves `ssh … nimbus-console` from OpenSSH (skipped when openssh-client is not installed)', async () => {
    const child = spawnOpenSsh(tenant.privateKey, api.port, 'nimbus-console');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // The machine answered: close the console from nimbusd's side, as a release would.
      if (stdout.includes('hello from ssh')) consoles.at(-1)!.close('instance was released');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'instances.console', params: { id: instance.id } })}\nhello from ssh`);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(1);
    expect(stderr).toBe('console closed: instance was released\n');
    expect(stdout).toMatch(/^\{"jsonrpc":"2.0","id":1,"result":.*\}\nhello from ssh$/s);
  });
});
