/**
 * What an API client has been told about its allocations, kept to hold nimbusd to it
 * across crashes. Each idempotency key is `unsent`, `accepted` (an answer named its
 * instance), `refused` (a definite no: no instance holds it) or `unanswered` (sent, and
 * the daemon died before answering: it may or may not exist). Answers that contradict what came
 * before, and server state that contradicts what the client was told, are collected as
 * problems (sentences naming the key or instance), so that a test reports all of them.
 */

/** The fields of an instance this ledger reads (as `instances.*` answer them). */
export interface SeenInstance {
  id: string;
  tenant: string;
  machineId: string;
  idempotencyKey: string;
  state: string;
  request: unknown;
}

/** The fields of a machine this ledger reads (as `machines.list` answers them). */
export interface SeenMachine {
  id: string;
  state: string;
}

export type KeyStatus =
  | { kind: 'unsent' }
  | { kind: 'accepted'; instanceId: string; machineId: string }
  | { kind: 'refused' }
  | { kind: 'unanswered' };

export interface KeyRecord {
  key: string;
  request: Record<string, unknown>;
  status: KeyStatus;
}

/** Instance states that hold no machine any more, or are on the way there. */
const RELEASED_OR_RELEASING: ReadonlySet<string> = new Set(['releasing', 'released']);
/** Machine states in which a machine belongs to a live instance. */
const HELD_MACHINE_STATES: ReadonlySet<string> = new Set(['allocated', 'deploying', 'deployed', 'releasing']);

/** How many of each answer the client got (events, not final states), and how unanswered creates turned out. */
export interface LedgerCounts {
  /** Keys that hold an instance the client knows of. */
  acceptedKeys: number;
  createsAnswered: number;
  createsRefused: number;
  createsUnanswered: number;
  deletesAnswered: number;
  deletesUnanswered: number;
  /** Unanswered creates whose retry found that the first attempt had committed. */
  recoveredByRetry: number;
  /** Unanswered creates whose retry found that the first attempt had not committed. */
  lostBeforeCommit: number;
}

export class AllocationLedger {
  readonly tenant: string;
  readonly keys = new Map<string, KeyRecord>();
  /** Instance id → what the client knows of its release. */
  readonly deletes = new Map<string, 'accepted' | 'unanswered'>();
  readonly problems: string[] = [];
  readonly #events = { createsAnswered: 0, createsRefused: 0, createsUnanswered: 0, deletesAnswered: 0, deletesUnanswered: 0 };
  recoveredByRetry = 0;
  lostBeforeCommit = 0;
  #nextKey = 1;

  /** `tenant` is the fingerprint every instance of this client must carry. */
  constructor(tenant: string) {
    this.tenant = tenant;
  }

  /** A key never used before, with the request it will always be sent with. */
  newKey(request: Record<string, unknown>): KeyRecord {
    const record: KeyRecord = { key: `key-${this.#nextKey++}`, request, status: { kind: 'unsent' } };
    this.keys.set(record.key, record);
    return record;
  }

  keysWith(kind: KeyStatus['kind']): KeyRecord[] {
    return [...this.keys.values()].filter((r) => r.status.kind === kind);
  }

  /** Accepted instances whose release the client has not seen accepted. */
  heldInstances(): { key: string; instanceId: string }[] {
    return this.keysWith('accepted').flatMap((r) =>
      r.status.kind === 'accepted' && this.deletes.get(r.status.instanceId) !== 'accepted' ? [{ key: r.key, instanceId: r.status.instanceId }] : [],
    );
  }

  /** `instances.create` answered with an instance. */
  createAnswered(key: string, answer: { instance: SeenInstance; created: boolean }): void {
    const record = this.#record(key);
    this.#events.createsAnswered += 1;
    const { instance, created } = answer;
    this.#checkInstance(instance, record, `instances.create for key ${key}`);
    const before = record.status;
    if (before.kind === 'accepted') {
      if (instance.id !== before.instanceId || instance.machineId !== before.machineId) {
        this.problems.push(`retry of key ${key} answered instance ${instance.id} on ${instance.machineId}; it was ${before.instanceId} on ${before.machineId}`);
      }
      if (created) this.problems.push(`retry of key ${key} says it created instance ${instance.id}, but the key was accepted before`);
      return;
    }
    if ((before.kind === 'refused' || before.kind === 'unsent') && !created) {
      this.problems.push(`key ${key} was ${before.kind === 'refused' ? 'refused before' : 'never sent before'}, yet the answer says instance ${instance.id} already existed for it`);
    }
    if (before.kind === 'unanswered') {
      if (created) this.lostBeforeCommit += 1;
      else this.recoveredByRetry += 1;
    }
    record.status = { kind: 'accepted', instanceId: instance.id, machineId: instance.machineId };
  }

  /** `instances.create` refused with a conflict (no machine was free for it). */
  createRefused(key: string, reason: string): void {
    const record = this.#record(key);
    this.#events.createsRefused += 1;
    if (record.status.kind === 'accepted') {
      this.problems.push(`retry of accepted key ${key} was refused (${reason}) instead of answering instance ${record.status.instanceId}`);
      return;
    }
    if (record.status.kind === 'unanswered') this.lostBeforeCommit += 1;
    record.status = { kind: 'refused' };
  }

  /** `instances.create` sent, and the connection died before an answer. */
  createUnanswered(key: string): void {
    const record = this.#record(key);
    this.#events.createsUnanswered += 1;
    if (record.status.kind !== 'accepted') record.status = { kind: 'unanswered' };
  }

  /** `instances.delete` answered. */
  deleteAnswered(instanceId: string, instance: SeenInstance): void {
    this.#events.deletesAnswered += 1;
    if (instance.id !== instanceId) this.problems.push(`instances.delete ${instanceId} answered instance ${instance.id}`);
    if (!RELEASED_OR_RELEASING.has(instance.state)) this.problems.push(`instances.delete ${instanceId} answered it in state ${instance.state}, not releasing or released`);
    this.deletes.set(instanceId, 'accepted');
  }

  deleteUnanswered(instanceId: string): void {
    this.#events.deletesUnanswered += 1;
    if (this.deletes.get(instanceId) !== 'accepted') this.deletes.set(instanceId, 'unanswered');
  }

  /** `instances.get` answered. */
  getAnswered(instanceId: string, instance: SeenInstance): void {
    const record = this.keys.get(instance.idempotencyKey);
    if (record) this.#checkInstance(instance, record, `instances.get ${instanceId}`);
    if (record?.status.kind !== 'accepted' || record.status.instanceId !== instanceId) {
      this.problems.push(`instances.get ${instanceId} answered an instance for key ${instance.idempotencyKey}, which the client does not know as that instance`);
    }
  }

  /** An answer the client did not expect at all. */
  unexpected(what: string, err: unknown): void {
    this.problems.push(`${what}: unexpected ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }

  /**
   * Compares the server's state with what the client was told. `own` is every instance
   * of this tenant (`instances.list`), `live` every live instance of every tenant and
   * `machines` every machine (both as an admin sees them).
   */
  checkServer(own: readonly SeenInstance[], live: readonly SeenInstance[], machines: readonly SeenMachine[]): string[] {
    const problems: string[] = [];
    const byId = new Map(own.map((i) => [i.id, i]));
    for (const record of this.keysWith('accepted')) {
      if (record.status.kind !== 'accepted') continue;
      const instance = byId.get(record.status.instanceId);
      if (!instance) {
        problems.push(`accepted instance ${record.status.instanceId} (key ${record.key}) is gone`);
        continue;
      }
      if (instance.machineId !== record.status.machineId) {
        problems.push(`accepted instance ${instance.id} (key ${record.key}) is on machine ${instance.machineId}, was ${record.status.machineId}`);
      }
    }
    for (const instance of own) {
      const record = this.keys.get(instance.idempotencyKey);
      if (!record) {
        problems.push(`instance ${instance.id} has key ${instance.idempotencyKey}, which this client never sent`);
        continue;
      }
      problems.push(...this.#instanceProblems(instance, record, `instance ${instance.id}`));
      if (record.status.kind === 'refused' || record.status.kind === 'unsent') {
        problems.push(`instance ${instance.id} exists for key ${record.key}, which was ${record.status.kind === 'refused' ? 'refused' : 'never sent'}`);
      }
      if (record.status.kind === 'accepted' && record.status.instanceId !== instance.id) {
        problems.push(`key ${record.key} has a second instance ${instance.id} beside the accepted ${record.status.instanceId}`);
      }
      const deleted = this.deletes.get(instance.id);
      if (deleted === 'accepted' && !RELEASED_OR_RELEASING.has(instance.state)) {
        problems.push(`instance ${instance.id} was released (the client saw it) but is ${instance.state}`);
      }
      if (deleted === undefined && RELEASED_OR_RELEASING.has(instance.state)) {
        problems.push(`instance ${instance.id} is ${instance.state}, but the client never asked to release it`);
      }
    }
    problems.push(...machineProblems(live, machines));
    return problems;
  }

  counts(): LedgerCounts {
    return {
      acceptedKeys: this.keysWith('accepted').length,
      ...this.#events,
      recoveredByRetry: this.recoveredByRetry,
      lostBeforeCommit: this.lostBeforeCommit,
    };
  }

  #record(key: string): KeyRecord {
    const record = this.keys.get(key);
    if (!record) throw new Error(`key ${key} was not made by this ledger`);
    return record;
  }

  #checkInstance(instance: SeenInstance, record: KeyRecord, what: string): void {
    this.problems.push(...this.#instanceProblems(instance, record, what));
  }

  #instanceProblems(instance: SeenInstance, record: KeyRecord, what: string): string[] {
    const problems: string[] = [];
    if (instance.tenant !== this.tenant) problems.push(`${what}: tenant ${instance.tenant}, not ${this.tenant}`);
    if (instance.idempotencyKey !== record.key) problems.push(`${what}: key ${instance.idempotencyKey}, not ${record.key}`);
    if (JSON.stringify(instance.request) !== JSON.stringify(sortKeys(record.request))) {
      problems.push(`${what}: request ${JSON.stringify(instance.request)}, not the ${JSON.stringify(record.request)} sent`);
    }
    return problems;
  }
}

/**
 * No machine is in two live instances; every live instance's machine exists and is held
 * (or in error); every held machine belongs to exactly one live instance; a releasing
 * instance's machine is releasing.
 */
export function machineProblems(live: readonly SeenInstance[], machines: readonly SeenMachine[]): string[] {
  const problems: string[] = [];
  const machineById = new Map(machines.map((m) => [m.id, m]));
  const holders = new Map<string, string[]>();
  for (const instance of live) {
    if (instance.state === 'released') problems.push(`instances.list {live: true} answered released instance ${instance.id}`);
    holders.set(instance.machineId, [...(holders.get(instance.machineId) ?? []), instance.id]);
    const machine = machineById.get(instance.machineId);
    if (!machine) {
      problems.push(`live instance ${instance.id} is on machine ${instance.machineId}, which does not exist`);
    } else if (!HELD_MACHINE_STATES.has(machine.state) && machine.state !== 'error') {
      problems.push(`live instance ${instance.id} is on machine ${machine.id}, which is ${machine.state}`);
    } else if (instance.state === 'releasing' && machine.state !== 'releasing' && machine.state !== 'error') {
      problems.push(`instance ${instance.id} is releasing but its machine ${machine.id} is ${machine.state}`);
    }
  }
  for (const [machineId, ids] of holders) {
    if (ids.length > 1) problems.push(`machine ${machineId} is in ${ids.length} live instances: ${ids.join(', ')}`);
  }
  for (const machine of machines) {
    if (HELD_MACHINE_STATES.has(machine.state) && !holders.has(machine.id)) {
      problems.push(`machine ${machine.id} is ${machine.state} but no live instance holds it`);
    }
  }
  return problems;
}

/** The request as the store keeps it: canonical JSON, object keys sorted. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
