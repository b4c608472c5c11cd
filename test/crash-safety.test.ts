/**
 * Nothing accepted is lost across a crash. The built `nimbusd serve` runs on a site with a
 * pool of ready machines; one tenant streams allocations (`instances.create` with
 * idempotency keys, retries of old keys included) and releases (`instances.delete`)
 * with a few requests in flight, and the daemon is SIGKILLed at a random point, at least
 * KILLS times (some of them during start-up), restarting it each time. The machines'
 * BMCs are systems of a Redfish emulator, so the daemon's own reconcile loop inspects
 * them at first and later powers released machines off and returns them to the pool, and
 * may be killed doing either.
 *
 * After each restart: every allocation the client saw accepted is there (same id, same
 * machine) and every instance there is one the client asked for; retrying an accepted
 * key answers the same instance and creates none; half the unanswered keys are retried
 * (the answer says whether the lost call had committed); no machine is in two live
 * instances and no held machine is without one; `nimbusd audit verify --json` passes and
 * holds at least a record per answered call. At the end, every key the client never heard
 * back about is either absent or a consistent instance, and a retry agrees.
 *
 * The choices and kill points come from a seeded PRNG: the seed is printed, and
 * `NIMBUS_CRASH_SEED=<seed>` replays the same choices (the interleaving with the daemon
 * may still differ). SIGKILL loses no page cache, so this proves process-crash safety, not
 * power-loss safety. Bounded: RUN_BUDGET_MS for the kill loop.
 */
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, ApiConnectionError, NimbusApiClient } from '@nimbus/nimbusd/api-client';
import { RedfishEmulator } from './redfish-emulator/server.ts';
import { AllocationLedger, type KeyRecord, type SeenInstance, type SeenMachine } from './support/allocation-ledger.ts';
import { NIMBUSD_BIN, parseJsonOutput } from './support/cli.ts';
import { createSite, nimbusdBuilt, type NimbusdSite } from './support/nimbusd-site.ts';
import { enrollMachines } from './support/ready-machines.ts';
import { SeededRandom, seedFrom } from './support/seeded-random.ts';
import { ServeProcess } from './support/serve-process.ts';
import { sshTestKey, type SshTestKey } from './support/ssh-test-key.ts';
import { TEST_SECRETS } from './support/test-secrets.ts';
import { testLogPath } from './support/test-logs.ts';

const KILLS = 50;
/** Few enough that allocations sometimes find none free, so refusals and their retries happen too. */
const POOL = 8;
/** The kill loop stops here even short of KILLS (and the test then fails saying so). */
const RUN_BUDGET_MS = 80_000;
/** Requests sent in one daemon's life before its kill is armed: from 0 to this. */
const MAX_SENDS_BEFORE_KILL = 14;
/** No daemon life sends more than this, whatever the kill timing. */
const MAX_SENDS_PER_LIFE = 40;
const SEED_ENV = 'NIMBUS_CRASH_SEED';

const seed = seedFrom(SEED_ENV);
const replay = `seed ${seed} (replay with ${SEED_ENV}=${seed} npx vitest run test/crash-safety.test.ts)`;

interface Clients {
  tenant: NimbusApiClient;
  admin: NimbusApiClient;
}

/** `nimbusd audit verify --json` on the site, without blocking the event loop. */
function auditVerify(site: NimbusdSite): Promise<{ status: number; json: { records?: number; intact?: boolean } | undefined; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [NIMBUSD_BIN, 'audit', 'verify', '--state-dir', site.stateDir, '--json'], { env: site.env, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : -1, json: parseJsonOutput(stdout) as { records?: number; intact?: boolean } | undefined, stderr });
    });
  });
}

function isConnectionLoss(err: unknown): boolean {
  return err instanceof ApiConnectionError;
}

/** JSON-RPC's code for a conflict (the API's RPC_ERRORS.CONFLICT). */
const RPC_CONFLICT = -32009;
/** Why a create may be refused without anything being allocated: no machine free for it. */
const REFUSALS: ReadonlySet<unknown> = new Set(['no-ready-machine', 'machine-taken']);
/** At most this many calls in flight on one connection while checking (the server's limit is 32). */
const CHECK_WINDOW = 16;
/** Reads of the server's state before a disagreement with the ledger counts (see checkServer). */
const CHECK_READS = 3;

/** The reason of a create refused because nothing was free, else undefined. */
function refusalReason(err: unknown): string | undefined {
  if (!(err instanceof ApiCallError) || err.rpcCode !== RPC_CONFLICT) return undefined;
  const reason = err.data?.['reason'];
  return REFUSALS.has(reason) ? String(reason) : undefined;
}

/** Runs `tasks` at most `limit` at a time. */
async function inWindows(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  for (let i = 0; i < tasks.length; i += limit) await Promise.all(tasks.slice(i, i + limit).map((task) => task()));
}

describe.skipIf(!nimbusdBuilt())('crash safety of nimbusd serve (built binary; run ./scripts/setup first)', () => {
  let site: NimbusdSite;
  let tenantKey: SshTestKey;
  let adminKey: SshTestKey;
  let logFile: string;
  let emulator: RedfishEmulator | undefined;
  /** Audit records after set-up (enrollment and inspection). */
  let setupRecords: number;
  let daemon: ServeProcess | undefined;
  const open: NimbusApiClient[] = [];

  beforeAll(async () => {
    console.info(`crash safety: ${replay}`);
    const setupStart = performance.now();
    tenantKey = sshTestKey('crash-tenant');
    adminKey = sshTestKey('crash-admin');
    site = await createSite({ adminKeys: [adminKey.fingerprint], tenantPolicy: 'open' });
    emulator = await RedfishEmulator.start({ mockup: 'public-rackmount1', systemCount: POOL, password: TEST_SECRETS.redfishPassword });
    const passwordFile = join(site.dir, 'bmc-password');
    writeFileSync(passwordFile, `${TEST_SECRETS.redfishPassword}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
    // Left `inspecting`: the first daemon's reconcile loop inspects them out of band (and may be killed doing it).
    const address = new URL(emulator.url).host;
    const paths = emulator.systemPaths;
    await enrollMachines(site.stateDir, POOL, (n) => ({ driver: 'redfish', address, username: 'admin', credentialsFile: passwordFile, options: { scheme: 'http', system: paths[n - 1] } }), {
      until: 'inspecting',
    });
    const verdict = await auditVerify(site);
    if (verdict.status !== 0 || verdict.json?.records === undefined) throw new Error(`audit verify after set-up failed: ${verdict.stderr}`);
    setupRecords = verdict.json.records;
    console.info(`crash safety: set-up (${POOL} machines enrolled) took ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);
    logFile = testLogPath('crash-safety', 'nimbusd-serve.log');
    writeFileSync(logFile, '');
  });

  afterAll(async () => {
    for (const client of open) client.close();
    if (daemon?.running) await daemon.stop('SIGKILL');
    await emulator?.close();
    site?.remove();
  });

  async function connect(): Promise<Clients> {
    const options = { host: '127.0.0.1', port: site.apiPort, hostKeyFingerprint: site.hostKeyFingerprint };
    const [tenant, admin] = await Promise.all([
      NimbusApiClient.connect({ ...options, privateKey: tenantKey.privateKey }),
      NimbusApiClient.connect({ ...options, privateKey: adminKey.privateKey }),
    ]);
    open.push(tenant, admin);
    return { tenant, admin };
  }

  function closeClients(clients: Clients): void {
    for (const client of [clients.tenant, clients.admin]) {
      client.close();
      open.splice(open.indexOf(client), 1);
    }
  }

  it(`keeps every accepted allocation and its audit chain across ${KILLS} SIGKILLs`, { timeout: RUN_BUDGET_MS + 30_000 }, async () => {
    const rng = new SeededRandom(seed);
    const ledger = new AllocationLedger(tenantKey.fingerprint);
    /** Audit records the store must hold at least: set-up, and one per answered call. */
    let minRecords = setupRecords;
    let kills = 0;
    let startupKills = 0;
    let lives = 0;
    const started = performance.now();

    /** Counts an answered call toward minRecords and passes the answer on. */
    const answered = <T>(value: T): T => {
      minRecords += 1;
      return value;
    };
    const isAnswer = (err: unknown): boolean => err instanceof ApiCallError;

    async function create(clients: Clients, record: KeyRecord): Promise<void> {
      try {
        const answer = answered(await clients.tenant.call('instances.create', { request: record.request, idempotencyKey: record.key }));
        ledger.createAnswered(record.key, answer);
      } catch (err) {
        if (isAnswer(err)) minRecords += 1;
        const reason = refusalReason(err);
        if (reason !== undefined) ledger.createRefused(record.key, reason);
        else if (isConnectionLoss(err)) ledger.createUnanswered(record.key);
        else ledger.unexpected(`instances.create ${record.key}`, err);
      }
    }

    async function release(clients: Clients, instanceId: string): Promise<void> {
      try {
        const { instance } = answered(await clients.tenant.call('instances.delete', { id: instanceId }));
        ledger.deleteAnswered(instanceId, instance);
      } catch (err) {
        if (isAnswer(err)) minRecords += 1;
        if (isConnectionLoss(err)) ledger.deleteUnanswered(instanceId);
        else ledger.unexpected(`instances.delete ${instanceId}`, err);
      }
    }

    async function get(clients: Clients, instanceId: string): Promise<void> {
      try {
        const { instance } = answered(await clients.tenant.call('instances.get', { id: instanceId }));
        ledger.getAnswered(instanceId, instance);
      } catch (err) {
        if (isAnswer(err)) minRecords += 1;
        if (!isConnectionLoss(err)) ledger.unexpected(`instances.get ${instanceId}`, err);
      }
    }

    /**
     * What the server holds, checked against the ledger; returns the tenant's instances.
     * The three lists are three reads, between which the reconcile loop may return a
     * machine to the pool; so a disagreement is read again (up to CHECK_READS times)
     * before it counts. Lost or duplicated allocations do not go away on a re-read.
     */
    async function checkServer(clients: Clients, when: string): Promise<SeenInstance[]> {
      expect(ledger.problems.splice(0), `answers ${when}; ${replay}`).toEqual([]);
      for (let read = 1; ; read++) {
        const [own, live, machines] = await Promise.all([
          clients.tenant.call('instances.list', {}).then((r) => answered(r).instances as SeenInstance[]),
          clients.admin.call('instances.list', { live: true }).then((r) => answered(r).instances as SeenInstance[]),
          clients.admin.call('machines.list', {}).then((r) => answered(r).machines as SeenMachine[]),
        ]);
        const problems = ledger.checkServer(own, live, machines);
        if (machines.length !== POOL) problems.push(`${machines.length} machines, not the ${POOL} enrolled`);
        if (problems.length === 0) return own;
        if (read === CHECK_READS) expect(problems, `${when}, read ${CHECK_READS} times; ${replay}`).toEqual([]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    async function checkAudit(verifying: ReturnType<typeof auditVerify>, expectAtLeast: number, when: string): Promise<void> {
      const verdict = await verifying;
      expect(verdict.status, `audit verify ${when}: ${verdict.stderr}; ${replay}`).toBe(0);
      expect(verdict.json?.intact, `${when}; ${replay}`).toBe(true);
      expect(verdict.json?.records ?? 0, `audit records ${when} (one per answered call at least); ${replay}`).toBeGreaterThanOrEqual(expectAtLeast);
    }

    /** Sends requests a few at a time until the daemon is killed at a random point among them. */
    async function streamUntilKilled(clients: Clients, life: ServeProcess): Promise<void> {
      const killAfter = rng.int(0, MAX_SENDS_BEFORE_KILL);
      const killDelayMs = rng.int(0, 20);
      const window = rng.int(1, 4);
      const busy = new Set<string>();
      const pending = new Set<Promise<void>>();
      let killed = false;
      const arm = (): void => {
        setTimeout(() => {
          killed = true;
          life.child.kill('SIGKILL');
        }, killDelayMs);
      };
      if (killAfter === 0) arm();
      for (let sent = 1; sent <= MAX_SENDS_PER_LIFE && !killed; sent++) {
        while (pending.size >= window) await Promise.race(pending);
        if (killed) break;
        const op = chooseOp(busy);
        busy.add(op.resource);
        const p: Promise<void> = op.run(clients).finally(() => {
          busy.delete(op.resource);
          pending.delete(p);
        });
        pending.add(p);
        if (sent === killAfter) arm();
      }
      while (!killed) await new Promise((resolve) => setTimeout(resolve, 5));
      await life.exited;
      const settled = Promise.allSettled(pending);
      const stuck = await Promise.race([settled.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 10_000))]);
      expect(stuck, `calls still unanswered 10 s after the daemon died; ${replay}`).toBe(false);
    }

    /** One request, chosen at random; `resource` (a key or an instance) is not touched twice at once. */
    function chooseOp(busy: ReadonlySet<string>): { resource: string; run: (clients: Clients) => Promise<void> } {
      const roll = rng.next();
      const held = ledger.heldInstances().filter((h) => !busy.has(h.instanceId));
      if (roll < 0.15) {
        const old = rng.pick([...ledger.keys.values()].filter((r) => !busy.has(r.key) && r.status.kind !== 'unsent'));
        if (old) return { resource: old.key, run: (c) => create(c, old) };
      } else if (roll < 0.47) {
        const target = rng.pick(held);
        if (target) return { resource: target.instanceId, run: (c) => release(c, target.instanceId) };
      } else if (roll < 0.55) {
        const target = rng.pick(held);
        if (target) return { resource: target.instanceId, run: (c) => get(c, target.instanceId) };
      }
      const record = ledger.newKey({ arch: 'x86_64', cores: rng.int(1, 8) });
      return { resource: record.key, run: (c) => create(c, record) };
    }

    /** After a restart: the server agrees with the ledger, accepted keys retry to the same instance, some unanswered keys are retried. */
    async function afterRestart(clients: Clients, when: string): Promise<void> {
      await checkServer(clients, when);
      const accepted = ledger.keysWith('accepted');
      const retries = Array.from({ length: Math.min(3, accepted.length) }, () => rng.pick(accepted)!);
      const unanswered = ledger.keysWith('unanswered').filter(() => rng.chance(0.5));
      const gets = ledger.heldInstances().filter(() => rng.chance(0.1));
      const tasks = [...new Set([...retries, ...unanswered])].map((r) => () => create(clients, r));
      await inWindows([...tasks, ...gets.map((g) => () => get(clients, g.instanceId))], CHECK_WINDOW);
      expect(ledger.problems.splice(0), `retries ${when}; ${replay}`).toEqual([]);
    }

    while (kills < KILLS && performance.now() - started < RUN_BUDGET_MS) {
      lives += 1;
      const when = `after restart ${lives} (${kills} kills so far)`;
      if (rng.chance(0.2)) {
        // A kill while the daemon opens the store, binds its port and resumes unfinished work;
        // the next life's checks cover what it left.
        daemon = new ServeProcess({ configPath: site.configPath, env: site.env, logFile });
        await new Promise((resolve) => setTimeout(resolve, rng.int(0, 400)));
        await daemon.stop('SIGKILL');
        kills += 1;
        startupKills += 1;
        continue;
      }
      const expectRecords = minRecords;
      const verifying = auditVerify(site);
      daemon = new ServeProcess({ configPath: site.configPath, env: site.env, logFile });
      await daemon.waitForLog('nimbusd listening');
      const clients = await connect();
      try {
        await Promise.all([afterRestart(clients, when), checkAudit(verifying, expectRecords, when)]);
        await streamUntilKilled(clients, daemon);
        kills += 1;
      } finally {
        closeClients(clients);
      }
      expect(ledger.problems.splice(0), `answers before kill ${kills}; ${replay}`).toEqual([]);
    }
    expect(kills, `only ${kills} kills within ${RUN_BUDGET_MS} ms; ${replay}`).toBeGreaterThanOrEqual(KILLS);

    // The last run: everything unanswered is resolved, and the daemon stops cleanly.
    const verifying = auditVerify(site);
    daemon = new ServeProcess({ configPath: site.configPath, env: site.env, logFile });
    await daemon.waitForLog('nimbusd listening');
    const clients = await connect();
    try {
      await checkAudit(verifying, minRecords, 'after the last restart');
      const own = await checkServer(clients, 'after the last restart');
      const byKey = new Map(own.map((i) => [i.idempotencyKey, i]));
      const unanswered = ledger.keysWith('unanswered');
      for (const record of unanswered) {
        const there = byKey.get(record.key);
        const recovered = ledger.recoveredByRetry;
        await create(clients, record);
        // Present: the retry answers that very instance. Absent: the retry makes one now or finds no machine, but finds none made before.
        if (there) expect(record.status, `unanswered key ${record.key}; ${replay}`).toEqual({ kind: 'accepted', instanceId: there.id, machineId: there.machineId });
        else expect(ledger.recoveredByRetry, `unanswered key ${record.key} was not listed, yet a retry found its instance; ${replay}`).toBe(recovered);
      }
      expect(ledger.problems.splice(0), `final retries; ${replay}`).toEqual([]);
      await checkServer(clients, 'at the end');
      // Every BMC answers, so no machine has a reason to be in error (nor left uninspected).
      const { machines } = await clients.admin.call('machines.list', {});
      expect(machines.filter((m) => m.state === 'error' || m.state === 'enrolled' || m.state === 'inspecting').map((m) => `${m.name}: ${m.state} ${m.lastError?.message ?? ''}`)).toEqual([]);
    } finally {
      closeClients(clients);
    }
    const stopped = await daemon.stop('SIGTERM');
    expect(stopped.code, daemon.stderr).toBe(0);
    await checkAudit(auditVerify(site), minRecords, 'at the end');

    const counts = ledger.counts();
    console.info(
      `crash safety: ${kills} kills (${startupKills} during start-up) in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `creates: ${counts.createsAnswered} answered, ${counts.createsRefused} refused, ${counts.createsUnanswered} unanswered (${counts.acceptedKeys} keys hold an instance); ` +
        `releases: ${counts.deletesAnswered} answered, ${counts.deletesUnanswered} unanswered; ` +
        `unanswered creates retried: ${counts.recoveredByRetry} had committed, ${counts.lostBeforeCommit} had not; ${replay}`,
    );
    expect(counts.acceptedKeys).toBeGreaterThan(0);
  });
});

describe('the allocation ledger the crash test relies on', () => {
  const tenant = 'SHA256:tenant';
  const instance = (id: string, key: string, machineId: string, state = 'allocated'): SeenInstance => ({ id, tenant, machineId, idempotencyKey: key, state, request: { cores: 1 } });

  it('finds a lost allocation, a second instance for a key, and a machine in two live instances', () => {
    const ledger = new AllocationLedger(tenant);
    const a = ledger.newKey({ cores: 1 });
    const b = ledger.newKey({ cores: 1 });
    ledger.createAnswered(a.key, { instance: instance('i-1', a.key, 'm-1'), created: true });
    ledger.createUnanswered(b.key);
    const own = [instance('i-2', a.key, 'm-2'), instance('i-3', b.key, 'm-2')];
    const problems = ledger.checkServer(own, own, [{ id: 'm-1', state: 'allocated' }, { id: 'm-2', state: 'allocated' }]);
    expect(problems).toEqual([
      'accepted instance i-1 (key key-1) is gone',
      'key key-1 has a second instance i-2 beside the accepted i-1',
      'machine m-2 is in 2 live instances: i-2, i-3',
      'machine m-1 is allocated but no live instance holds it',
    ]);
  });

  it('finds a retry that creates again, and an instance for a key that was refused', () => {
    const ledger = new AllocationLedger(tenant);
    const a = ledger.newKey({ cores: 1 });
    const b = ledger.newKey({ cores: 1 });
    ledger.createAnswered(a.key, { instance: instance('i-1', a.key, 'm-1'), created: true });
    ledger.createAnswered(a.key, { instance: instance('i-9', a.key, 'm-9'), created: true });
    ledger.createRefused(b.key, 'no-ready-machine');
    expect(ledger.problems).toEqual([
      'retry of key key-1 answered instance i-9 on m-9; it was i-1 on m-1',
      'retry of key key-1 says it created instance i-9, but the key was accepted before',
    ]);
    const own = [instance('i-1', a.key, 'm-1'), instance('i-2', b.key, 'm-2', 'releasing')];
    expect(ledger.checkServer(own, own, [{ id: 'm-1', state: 'allocated' }, { id: 'm-2', state: 'releasing' }])).toEqual([
      'instance i-2 exists for key key-2, which was refused',
      'instance i-2 is releasing, but the client never asked to release it',
    ]);
  });

  it('accepts an unanswered key either way: absent, or present and consistent', () => {
    const ledger = new AllocationLedger(tenant);
    const a = ledger.newKey({ cores: 1 });
    const b = ledger.newKey({ cores: 1 });
    ledger.createUnanswered(a.key);
    ledger.createUnanswered(b.key);
    const own = [instance('i-1', a.key, 'm-1')];
    expect(ledger.checkServer(own, own, [{ id: 'm-1', state: 'allocated' }, { id: 'm-2', state: 'ready' }])).toEqual([]);
    ledger.createAnswered(a.key, { instance: own[0]!, created: false });
    ledger.createAnswered(b.key, { instance: instance('i-2', b.key, 'm-2'), created: true });
    expect(ledger.problems).toEqual([]);
    expect(ledger.counts()).toMatchObject({ recoveredByRetry: 1, lostBeforeCommit: 1 });
  });
});
