import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { InvalidRequestError, checkTransition, type MachineState } from '@nimbus/core';
import { appendAudit, auditTail, verifyAudit, type Actor, type AuditEntry, type AuditRecord, type AuditVerdict } from './audit.ts';
import { canonicalJson } from './canonical-json.ts';
import { inImmediateTransaction, openStateDatabase } from './database.ts';
import { ConflictError, IllegalTransitionError, NotFoundError, StaleStateError } from './errors.ts';
import {
  instanceFromRow,
  machineFromRow,
  type BmcDriverName,
  type BmcOptions,
  type Instance,
  type InstanceRow,
  type InstanceState,
  type Machine,
  type MachineRow,
  type WipeLevel,
} from './records.ts';

/** Returns the current time; injected so that tests and replays control it. */
export type Clock = () => Date;

export interface StoreOptions {
  /** Path of the SQLite file; created with the current schema if missing. */
  path: string;
  clock: Clock;
  /** Makes ids for new machines and instances; random UUIDs with an `m-` / `i-` prefix if unset. */
  newId?: (kind: 'machine' | 'instance') => string;
  /** How long a writer waits for another connection's transaction (ms); see DEFAULT_BUSY_TIMEOUT_MS. */
  busyTimeoutMs?: number;
}

export interface EnrollInput {
  name: string;
  bmc: { driver: BmcDriverName; address: string; username?: string; credentialsFile: string; options?: BmcOptions };
  bootMacs: string[];
  /** The registry machine class; DEFAULT_MACHINE_CLASS if unset. */
  class?: string;
}

/** The class of a machine enrolled without one. */
export const DEFAULT_MACHINE_CLASS = 'default';
/** The registry's pattern for a machine class id (registry-schema/provider.schema.json). */
export const MACHINE_CLASS_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** What a transition records beside from/to; `error` and `hint` are kept on the machine when it enters `error`. */
export interface TransitionDetail {
  error?: string;
  hint?: string;
  /** What kind of failure (`bmc`, `pxe_timeout`, `image_checksum`, …); kept with the error. */
  errorClass?: string;
  [key: string]: unknown;
}

export interface AllocateInput {
  /** The tenant's key fingerprint. */
  tenant: string;
  /** The request as the tenant sent it; kept as canonical JSON and compared on a repeated key. */
  request: unknown;
  /** Unique per tenant: a retry with the same key gets the same instance. */
  idempotencyKey: string;
  actor: Actor;
  /** Only this machine (placement already chose it); otherwise any `ready` machine. */
  machineId?: string;
  /** Only a machine of this class. */
  machineClass?: string;
}

export interface AllocateResult {
  instance: Instance;
  /** false when the idempotency key was seen before and the earlier instance is returned. */
  created: boolean;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const LIVE = "state <> 'released'";

/**
 * nimbusd's durable state: machines, instances and the audit log in one SQLite file.
 * Every change and the audit record that describes it commit in one IMMEDIATE
 * transaction, so after a crash either both are there or neither is.
 * Several processes may open the same file; SQLite serialises their writes.
 */
export class Store {
  /** The open connection, for read-only queries (metrics, tests); write only through the methods. */
  readonly db: DatabaseSync;
  readonly #clock: Clock;
  readonly #newId: (kind: 'machine' | 'instance') => string;
  readonly #changeListeners = new Set<() => void>();

  constructor(options: StoreOptions) {
    this.db = openStateDatabase(options.path, options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs });
    this.#clock = options.clock;
    this.#newId = options.newId ?? ((kind) => `${kind === 'machine' ? 'm' : 'i'}-${randomUUID()}`);
  }

  close(): void {
    this.#changeListeners.clear();
    this.db.close();
  }

  /**
   * Calls `listener` after every write this Store commits (not for other processes' writes:
   * whoever must see those too re-reads on an interval). Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Adds a machine in state `enrolled`. */
  enrollMachine(input: EnrollInput, actor: Actor): Machine {
    const bootMacs = validateEnroll(input);
    return this.#write((now) => {
      if (this.db.prepare('SELECT 1 FROM machines WHERE name = ?').get(input.name)) {
        throw new ConflictError('name-taken', `a machine named ${input.name} is already enrolled`);
      }
      const id = this.#newId('machine');
      const klass = input.class ?? DEFAULT_MACHINE_CLASS;
      this.db
        .prepare(
          `INSERT INTO machines (id, name, state, class, bmc_driver, bmc_address, bmc_username, bmc_options, bmc_credentials_file, boot_macs, created_at, updated_at)
           VALUES (?, ?, 'enrolled', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.name,
          klass,
          input.bmc.driver,
          input.bmc.address,
          input.bmc.username ?? '',
          canonicalJson(input.bmc.options ?? {}, 'bmc.options'),
          input.bmc.credentialsFile,
          JSON.stringify(bootMacs),
          now,
          now,
        );
      for (const mac of bootMacs) {
        try {
          this.db.prepare('INSERT INTO machine_boot_macs (mac, machine_id) VALUES (?, ?)').run(mac, id);
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          const owner = this.db.prepare('SELECT machine_id FROM machine_boot_macs WHERE mac = ?').get(mac) as { machine_id: string } | undefined;
          throw new ConflictError('mac-taken', `boot MAC ${mac} already belongs to machine ${owner?.machine_id ?? '?'}`, { cause: err });
        }
      }
      this.#audit({ actor, action: 'machine.enroll', target: id, result: 'ok', detail: { name: input.name, class: klass, bmc: input.bmc, bootMacs } }, now);
      return this.#machine(id);
    });
  }

  /** Removes a machine that no live instance holds. */
  removeMachine(id: string, actor: Actor): void {
    this.#write((now) => {
      const machine = this.#machine(id);
      if (this.db.prepare(`SELECT 1 FROM instances WHERE machine_id = ? AND ${LIVE}`).get(id)) {
        throw new ConflictError('machine-busy', `machine ${id} belongs to a live instance; release it first`);
      }
      this.db.prepare('DELETE FROM machine_boot_macs WHERE machine_id = ?').run(id);
      this.db.prepare('DELETE FROM machines WHERE id = ?').run(id);
      this.#audit({ actor, action: 'machine.remove', target: id, result: 'ok', detail: { name: machine.name, state: machine.state } }, now);
    });
  }

  getMachine(id: string): Machine {
    return this.#machine(id);
  }

  /** The machine that boots from `mac` (any case, `:` or `-` separated), if one is enrolled. */
  findMachineByMac(mac: string): Machine | undefined {
    const row = this.db.prepare('SELECT machine_id FROM machine_boot_macs WHERE mac = ?').get(normaliseMac(mac)) as
      | { machine_id: string }
      | undefined;
    return row ? this.#machine(row.machine_id) : undefined;
  }

  listMachines(filter: { state?: MachineState } = {}): Machine[] {
    const rows = (
      filter.state === undefined
        ? this.db.prepare('SELECT * FROM machines ORDER BY name').all()
        : this.db.prepare('SELECT * FROM machines WHERE state = ? ORDER BY name').all(filter.state)
    ) as unknown as MachineRow[];
    return rows.map(machineFromRow);
  }

  /**
   * Moves a machine from `from` to `to` if the lifecycle allows it and the machine is still
   * in `from` (compare-and-set: a caller working from a stale read is refused), writing
   * the audit record in the same transaction. Entering `ready` from `releasing` frees the
   * machine's instance; `deploying`/`deployed` are mirrored onto it.
   */
  transition(machineId: string, from: MachineState, to: MachineState, actor: Actor, detail: TransitionDetail = {}): Machine {
    const verdict = checkTransition(from, to);
    if (!verdict.allowed) throw new IllegalTransitionError(`machine ${machineId}: ${verdict.reason}`);
    if (to === 'error' && !detail.error) {
      throw new InvalidRequestError(`machine ${machineId}: a transition to error needs the error that caused it`);
    }
    return this.#write((now) => {
      this.#moveMachine(machineId, from, to, now, detail);
      this.#audit({ actor, action: 'machine.transition', target: machineId, result: 'ok', detail: { ...detail, from, to } }, now);
      return this.#machine(machineId);
    });
  }

  /**
   * Gives a `ready` machine to a tenant as a new instance, atomically. A repeated
   * idempotency key returns the earlier instance (and conflicts if the request differs).
   * The partial unique index on live instances is what refuses a second claim on a machine.
   */
  allocate(input: AllocateInput): AllocateResult {
    if (!input.idempotencyKey) throw new InvalidRequestError('allocate: the idempotency key is empty');
    const request = canonicalJson(input.request, 'request');
    return this.#write((now) => {
      const earlier = this.db
        .prepare('SELECT * FROM instances WHERE tenant = ? AND idempotency_key = ?')
        .get(input.tenant, input.idempotencyKey) as InstanceRow | undefined;
      if (earlier) {
        if (earlier.request !== request) {
          throw new ConflictError(
            'idempotency-key-reused',
            `idempotency key ${input.idempotencyKey} was already used for a different request (instance ${earlier.id})`,
          );
        }
        return { instance: instanceFromRow(earlier), created: false };
      }
      const where = ["state = 'ready'"];
      const params: string[] = [];
      if (input.machineId !== undefined) {
        where.push('id = ?');
        params.push(input.machineId);
      }
      if (input.machineClass !== undefined) {
        where.push('class = ?');
        params.push(input.machineClass);
      }
      const candidate = this.db.prepare(`SELECT id FROM machines WHERE ${where.join(' AND ')} ORDER BY name LIMIT 1`).get(...params) as
        | { id: string }
        | undefined;
      if (!candidate) {
        const which = [input.machineId === undefined ? 'no machine' : `machine ${input.machineId}`, input.machineClass === undefined ? '' : ` of class ${input.machineClass}`].join('');
        throw new ConflictError('no-ready-machine', `${which} is ready to allocate`);
      }
      const id = this.#newId('instance');
      try {
        this.db
          .prepare(
            `INSERT INTO instances (id, tenant, machine_id, idempotency_key, state, request, created_at, updated_at)
             VALUES (?, ?, ?, ?, 'allocated', ?, ?, ?)`,
          )
          .run(id, input.tenant, candidate.id, input.idempotencyKey, request, now, now);
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new ConflictError('machine-taken', `machine ${candidate.id} already belongs to an instance`, { cause: err });
        }
        throw err;
      }
      this.#moveMachine(candidate.id, 'ready', 'allocated', now, {});
      this.#audit(
        { actor: input.actor, action: 'instance.allocate', target: id, result: 'ok', detail: { machine: candidate.id, from: 'ready', to: 'allocated' } },
        now,
      );
      return { instance: this.#instance(id), created: true };
    });
  }

  /**
   * Starts giving an instance back: the instance goes to `releasing` and its machine to
   * `releasing` (to be wiped; `transition(…, 'releasing', 'ready', …)` then frees it).
   * With `tenant`, another tenant's instance is "not found", as a missing one is.
   * Releasing an instance already on its way out returns it unchanged.
   */
  release(instanceId: string, actor: Actor, tenant?: string, wipe?: WipeLevel): Instance {
    return this.#write((now) => {
      const instance = this.#instance(instanceId, tenant);
      if (instance.state === 'releasing' || instance.state === 'released') return instance;
      const machine = this.#machine(instance.machineId);
      const verdict = checkTransition(machine.state, 'releasing');
      if (!verdict.allowed) {
        throw new ConflictError('machine-busy', `instance ${instanceId} cannot be released now: ${verdict.reason}`);
      }
      this.#setInstanceState(instanceId, 'releasing', now);
      if (wipe) this.db.prepare('UPDATE instances SET wipe = ? WHERE id = ?').run(wipe, instanceId);
      this.#moveMachine(machine.id, machine.state, 'releasing', now, {});
      this.#audit(
        { actor, action: 'instance.release', target: instanceId, result: 'ok', detail: { machine: machine.id, from: machine.state, to: 'releasing', wipe: wipe ?? 'none' } },
        now,
      );
      return this.#instance(instanceId);
    });
  }

  /** Puts a machine in another class (an operator's re-classification, or an upgrade import). */
  setMachineClass(machineId: string, klass: string, actor: Actor): Machine {
    if (!MACHINE_CLASS_ID.test(klass)) throw new InvalidRequestError(`class ${JSON.stringify(klass)} is not a machine class id`);
    return this.#write((now) => {
      const before = this.#machine(machineId);
      this.db.prepare('UPDATE machines SET class = ?, updated_at = ? WHERE id = ?').run(klass, now, machineId);
      this.#audit({ actor, action: 'machine.class', target: machineId, result: 'ok', detail: { from: before.class, to: klass } }, now);
      return this.#machine(machineId);
    });
  }

  /** Free (`ready`) machines by class; classes with none free are left out. */
  readyByClass(): Record<string, number> {
    const rows = this.db.prepare("SELECT class, count(*) AS n FROM machines WHERE state = 'ready' GROUP BY class ORDER BY class").all() as unknown as {
      class: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.class, r.n]));
  }

  /** Keeps what an inspection found on the machine, with an audit record. */
  recordInventory(machineId: string, data: unknown, actor: Actor, source: 'out-of-band' | 'in-band'): Machine {
    const json = canonicalJson(data, 'inventory');
    return this.#write((now) => {
      this.#machine(machineId);
      this.db.prepare('UPDATE machines SET inventory = ?, inspected_at = ?, updated_at = ? WHERE id = ?').run(json, now, now, machineId);
      this.#audit({ actor, action: 'machine.inventory', target: machineId, result: 'ok', detail: { source } }, now);
      return this.#machine(machineId);
    });
  }

  /**
   * Records how far an instance's deploy has got, and its address once known. Progress,
   * not a decision: it has no audit record of its own (the transitions around it do).
   */
  updateInstanceProgress(instanceId: string, progress: { phase?: string | null; address?: string }): Instance {
    return this.#write((now) => {
      this.#instance(instanceId);
      if (progress.phase !== undefined) {
        this.db.prepare('UPDATE instances SET phase = ?, phase_at = ?, updated_at = ? WHERE id = ?').run(progress.phase, progress.phase === null ? null : now, now, instanceId);
      }
      if (progress.address !== undefined) this.db.prepare('UPDATE instances SET address = ?, updated_at = ? WHERE id = ?').run(progress.address, now, instanceId);
      return this.#instance(instanceId);
    });
  }

  /** The live instance that holds a machine, if any. */
  liveInstanceOf(machineId: string): Instance | undefined {
    const row = this.db.prepare(`SELECT * FROM instances WHERE machine_id = ? AND ${LIVE}`).get(machineId) as InstanceRow | undefined;
    return row ? instanceFromRow(row) : undefined;
  }

  /** One instance; with `tenant`, only if it is that tenant's. */
  getInstance(id: string, tenant?: string): Instance {
    return this.#instance(id, tenant);
  }

  listInstances(filter: { tenant?: string; live?: boolean } = {}): Instance[] {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(filter.tenant);
    }
    if (filter.live) where.push(LIVE);
    const sql = `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`;
    return (this.db.prepare(sql).all(...params) as unknown as InstanceRow[]).map(instanceFromRow);
  }

  /** Records something that changed no state (a refused API call, a read by an admin). */
  recordAudit(entry: AuditEntry): AuditRecord {
    return this.#write((now) => this.#audit(entry, now));
  }

  auditTail(limit: number): AuditRecord[] {
    return auditTail(this.db, limit);
  }

  verifyAudit(): AuditVerdict {
    return verifyAudit(this.db);
  }

  /**
   * Runs `work` in one write transaction with the store's clock, notifying change listeners
   * after it commits. For the other record kinds of this folder (boot sessions); callers
   * outside `state/` use the typed methods.
   */
  write<T>(work: (now: string) => T): T {
    return this.#write(work);
  }

  /** Appends an audit record inside a `write` transaction. */
  appendAudit(entry: AuditEntry, now: string): AuditRecord {
    return this.#audit(entry, now);
  }

  #write<T>(work: (now: string) => T): T {
    const result = inImmediateTransaction(this.db, () => work(this.#clock().toISOString()));
    for (const listener of this.#changeListeners) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the write has committed.
      }
    }
    return result;
  }

  #audit(entry: AuditEntry, now: string): AuditRecord {
    return appendAudit(this.db, entry, now);
  }

  #machine(id: string): Machine {
    const row = this.db.prepare('SELECT * FROM machines WHERE id = ?').get(id) as MachineRow | undefined;
    if (!row) throw new NotFoundError(`no machine ${id}`);
    return machineFromRow(row);
  }

  #instance(id: string, tenant?: string): Instance {
    const row = this.db.prepare('SELECT * FROM instances WHERE id = ?').get(id) as InstanceRow | undefined;
    // Another tenant's instance gets the same answer as one that does not exist.
    if (!row || (tenant !== undefined && row.tenant !== tenant)) throw new NotFoundError(`no instance ${id}`);
    return instanceFromRow(row);
  }

  /** The compare-and-set at the heart of every transition; call inside a write transaction. */
  #moveMachine(id: string, from: MachineState, to: MachineState, now: string, detail: TransitionDetail): void {
    const verdict = checkTransition(from, to);
    if (!verdict.allowed) throw new IllegalTransitionError(`machine ${id}: ${verdict.reason}`);
    const enteringError = to === 'error';
    const changed = this.db
      .prepare(
        `UPDATE machines SET state = ?, updated_at = ?,
           last_error = CASE WHEN ? THEN ? ELSE last_error END,
           last_error_hint = CASE WHEN ? THEN ? ELSE last_error_hint END,
           last_error_at = CASE WHEN ? THEN ? ELSE last_error_at END,
           last_error_class = CASE WHEN ? THEN ? ELSE last_error_class END
         WHERE id = ? AND state = ?`,
      )
      .run(
        to,
        now,
        enteringError ? 1 : 0,
        detail.error ?? null,
        enteringError ? 1 : 0,
        detail.hint ?? null,
        enteringError ? 1 : 0,
        now,
        enteringError ? 1 : 0,
        detail.errorClass ?? null,
        id,
        from,
      );
    if (changed.changes !== 1) {
      const current = this.#machine(id); // throws NotFoundError for an unknown id
      throw new StaleStateError(`machine ${id} is ${current.state}, not ${from}; re-read it and try again`);
    }
    if (from === 'releasing' && to === 'ready') {
      this.db.prepare(`UPDATE instances SET state = 'released', phase = NULL, phase_at = NULL, updated_at = ? WHERE machine_id = ? AND ${LIVE}`).run(now, id);
    } else if (to === 'deploying' || to === 'deployed') {
      this.db.prepare(`UPDATE instances SET state = ?, updated_at = ? WHERE machine_id = ? AND ${LIVE}`).run(to, now, id);
    }
  }

  #setInstanceState(id: string, state: InstanceState, now: string): void {
    this.db.prepare('UPDATE instances SET state = ?, updated_at = ? WHERE id = ?').run(state, now, id);
  }
}

function validateEnroll(input: EnrollInput): string[] {
  const problems: string[] = [];
  if (!input.name?.trim()) problems.push('name is empty');
  if (input.class !== undefined && !MACHINE_CLASS_ID.test(input.class)) {
    problems.push(`class ${JSON.stringify(input.class)} must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (at most 63)`);
  }
  if (input.bmc?.driver !== 'ipmi' && input.bmc?.driver !== 'redfish') problems.push(`bmc.driver must be ipmi or redfish, not ${JSON.stringify(input.bmc?.driver)}`);
  if (!input.bmc?.address?.trim()) problems.push('bmc.address is empty');
  if (!input.bmc?.credentialsFile?.startsWith('/')) problems.push(`bmc.credentialsFile must be an absolute path, not ${JSON.stringify(input.bmc?.credentialsFile)}`);
  const macs = (input.bootMacs ?? []).map(normaliseMac);
  if (macs.length === 0) problems.push('bootMacs is empty: at least one boot MAC is needed');
  macs.forEach((mac, i) => {
    if (!MAC.test(mac)) problems.push(`bootMacs[${i}]: ${JSON.stringify(input.bootMacs[i])} is not a MAC address`);
  });
  if (problems.length) throw new InvalidRequestError(`cannot enroll machine ${JSON.stringify(input.name)}: ${problems.join('; ')}`);
  return macs;
}

function normaliseMac(mac: string): string {
  return mac.toLowerCase().replaceAll('-', ':');
}

/** SQLite's extended result codes for a duplicate key: SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY. */
const DUPLICATE_KEY_CODES: ReadonlySet<number> = new Set([2067, 1555]);

function isUniqueViolation(err: unknown): boolean {
  const errcode = (err as { errcode?: unknown }).errcode;
  return typeof errcode === 'number' && DUPLICATE_KEY_CODES.has(errcode);
}
