/**
 * Keeps nimbusd's view of every machine's power up to date by asking its BMC on an
 * interval, a bounded number of BMCs at a time. A BMC that stops answering is asked
 * again later and later (exponential backoff, per machine); after `maxFailures`
 * consecutive failures the machine goes to `error` with a classified reason and a hint
 * an operator can act on. The power state itself is kept in memory only: it is a
 * reading, not a fact the store must survive a crash with.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError, mapLimited } from '@nimbus/core';
import type { BmcClient } from '../bmc/driver.ts';
import { BmcProtocolError } from '../bmc/errors.ts';
import type { PowerState } from '../bmc/power.ts';
import { silentLogger, type Logger } from '../logging/index.ts';
import type { BmcCallResult, NimbusMetrics } from '../metrics/index.ts';
import type { Actor } from '../state/audit.ts';
import { NotFoundError, StaleStateError } from '../state/errors.ts';
import type { Machine } from '../state/records.ts';
import type { Clock, Store } from '../state/store.ts';
import { machineBmcConnector, type ConnectBmc } from './machine-bmc.ts';


/** The parts of the store the sync uses. */
export type PowerSyncStore = Pick<Store, 'listMachines' | 'transition'>;

export interface PowerSyncOptions {
  store: PowerSyncStore;
  /** Defaults to machineBmcConnector(): the machine's own BMC settings from the store. */
  connect?: ConnectBmc;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** BMCs asked at once; default 16. */
  concurrency?: number;
  /** Time between two sync rounds of `start`; default 30 s. */
  intervalMs?: number;
  /** Consecutive failures after which the machine goes to `error`; default 3. */
  maxFailures?: number;
  /** Wait after the first failure, doubled after each further one; default 5 s. */
  backoffBaseMs?: number;
  /** Longest wait between two attempts; default 5 min. */
  backoffMaxMs?: number;
  metrics?: Pick<NimbusMetrics, 'recordBmcCall'>;
  logger?: Logger;
}

/** The last power reading of a machine. */
export interface PowerReading {
  state: PowerState;
  at: Date;
}

/** What a failed reading is, for an operator: what happened and what to check. */
export interface ClassifiedFailure {
  /** The metric's class of failure. */
  result: Exclude<BmcCallResult, 'ok'>;
  /** Stable code of the error (`BMC_TIMEOUT`, …) or `UNEXPECTED`. */
  code: string;
  reason: string;
  hint: string;
}

/** What one `syncOnce` did. */
export interface SyncSummary {
  /** Machines whose BMC was asked. */
  polled: number;
  /** Machines left out because their backoff had not run out. */
  skipped: number;
  failed: number;
  /** Ids of the machines moved to `error` in this round. */
  movedToError: string[];
}

/** nimbusd itself, as the audit log names it. */
export const POWER_SYNC_ACTOR: Actor = { fingerprint: 'nimbusd', role: 'system' };

const DEFAULTS = {
  concurrency: 16,
  intervalMs: 30_000,
  maxFailures: 3,
  backoffBaseMs: 5_000,
  backoffMaxMs: 300_000,
} as const;

interface MachineHealth {
  failures: number;
  /** Epoch ms before which the machine is not asked again. */
  notBefore: number;
}

export class PowerSync {
  readonly #store: PowerSyncStore;
  readonly #connect: ConnectBmc;
  readonly #clock: Clock;
  readonly #concurrency: number;
  readonly #intervalMs: number;
  readonly #maxFailures: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #metrics: Pick<NimbusMetrics, 'recordBmcCall'> | undefined;
  readonly #log: Logger;
  readonly #power = new Map<string, PowerReading>();
  readonly #health = new Map<string, MachineHealth>();

  constructor(options: PowerSyncOptions) {
    this.#store = options.store;
    this.#connect = options.connect ?? machineBmcConnector();
    this.#clock = options.clock ?? (() => new Date());
    this.#concurrency = positiveInteger(options.concurrency ?? DEFAULTS.concurrency, 'concurrency');
    this.#intervalMs = nonNegative(options.intervalMs ?? DEFAULTS.intervalMs, 'intervalMs');
    this.#maxFailures = positiveInteger(options.maxFailures ?? DEFAULTS.maxFailures, 'maxFailures');
    this.#backoffBaseMs = nonNegative(options.backoffBaseMs ?? DEFAULTS.backoffBaseMs, 'backoffBaseMs');
    this.#backoffMaxMs = nonNegative(options.backoffMaxMs ?? DEFAULTS.backoffMaxMs, 'backoffMaxMs');
    this.#metrics = options.metrics;
    this.#log = (options.logger ?? silentLogger()).child({ subsystem: 'power-sync' });
  }

  /** The last power state read from the machine's BMC, if any reading succeeded yet. */
  powerOf(machineId: string): PowerReading | undefined {
    return this.#power.get(machineId);
  }

  /** Consecutive failed readings of the machine's BMC (0 after a success). */
  failuresOf(machineId: string): number {
    return this.#health.get(machineId)?.failures ?? 0;
  }

  /** Asks every due machine's BMC once (all but `enrolled` ones), at most `concurrency` at a time. */
  async syncOnce(signal?: AbortSignal): Promise<SyncSummary> {
    const machines = this.#store.listMachines().filter((m) => m.state !== 'enrolled');
    this.#forgetGone(machines);
    const now = this.#clock().getTime();
    const due = machines.filter((m) => (this.#health.get(m.id)?.notBefore ?? 0) <= now);
    const summary: SyncSummary = { polled: due.length, skipped: machines.length - due.length, failed: 0, movedToError: [] };

    await mapLimited(due, this.#concurrency, async (machine) => {
      const outcome = await this.#syncMachine(machine, signal);
      if (outcome !== 'ok') summary.failed += 1;
      if (outcome === 'moved-to-error') summary.movedToError.push(machine.id);
    }, () => !signal?.aborted);
    return summary;
  }

  /** Runs `syncOnce` every `intervalMs` until `signal` aborts; a failing round is logged, not fatal. */
  async start(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.syncOnce(signal);
      } catch (err) {
        this.#log.error({ code: errorCode(err), message: messageOf(err) }, 'power sync round failed');
      }
      try {
        await sleep(this.#intervalMs, undefined, { signal });
      } catch {
        return; // aborted while waiting
      }
    }
  }

  async #syncMachine(machine: Machine, signal: AbortSignal | undefined): Promise<'ok' | 'failed' | 'moved-to-error'> {
    const started = this.#clock().getTime();
    let client: BmcClient | undefined;
    try {
      client = this.#connect(machine);
      if (!client.powerState) throw new UnsupportedPowerRead(machine.bmc.driver);
      const state = await client.powerState(signal);
      this.#record(machine, 'ok', started);
      this.#power.set(machine.id, { state, at: this.#clock() });
      this.#health.delete(machine.id);
      return 'ok';
    } catch (err) {
      const failure = classifyBmcFailure(err, machine);
      this.#record(machine, failure.result, started);
      return this.#failed(machine, failure);
    } finally {
      if (client) {
        await client.close().catch((err: unknown) => {
          this.#log.debug({ machine: machine.id, code: errorCode(err) }, 'closing the BMC session failed');
        });
      }
    }
  }

  #failed(machine: Machine, failure: ClassifiedFailure): 'failed' | 'moved-to-error' {
    const failures = (this.#health.get(machine.id)?.failures ?? 0) + 1;
    const wait = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** (failures - 1));
    this.#health.set(machine.id, { failures, notBefore: this.#clock().getTime() + wait });
    const fields = { machine: machine.id, name: machine.name, failures, code: failure.code, reason: failure.reason, retryInMs: wait };
    if (failures < this.#maxFailures || machine.state === 'error') {
      this.#log.warn(fields, 'BMC power read failed');
      return 'failed';
    }
    try {
      this.#store.transition(machine.id, machine.state, 'error', POWER_SYNC_ACTOR, {
        error: failure.reason,
        hint: failure.hint,
        code: failure.code,
        failures,
      });
      this.#log.error({ ...fields, hint: failure.hint }, 'machine moved to error: its BMC keeps failing');
      return 'moved-to-error';
    } catch (err) {
      // The machine moved (or went) since the round read it; the next round sees where it is now.
      if (err instanceof StaleStateError || err instanceof NotFoundError) {
        this.#log.info({ ...fields, code: err.code }, 'machine changed during the power sync; not moved to error this round');
        return 'failed';
      }
      throw err;
    }
  }

  #record(machine: Machine, result: BmcCallResult, startedMs: number): void {
    this.#metrics?.recordBmcCall(machine.bmc.driver, 'power-state', result, Math.max(0, this.#clock().getTime() - startedMs) / 1000);
  }

  #forgetGone(machines: readonly Machine[]): void {
    const present = new Set(machines.map((m) => m.id));
    for (const id of this.#power.keys()) if (!present.has(id)) this.#power.delete(id);
    for (const id of this.#health.keys()) if (!present.has(id)) this.#health.delete(id);
  }
}

/** The driver has no power-state reading at all. */
class UnsupportedPowerRead extends Error {
  readonly code = 'BMC_UNSUPPORTED';
  constructor(driver: string) {
    super(`the ${driver} driver cannot read the power state`);
  }
}

/**
 * Turns a failed reading into a reason and a hint. Branches on the error's `code`; BMC
 * errors never carry a password in their message (bmc/errors.ts), so they may be quoted.
 */
export function classifyBmcFailure(err: unknown, machine: Machine, operation = 'power-state read'): ClassifiedFailure {
  const code = errorCode(err);
  const address = machine.bmc.address;
  switch (code) {
    case 'BMC_AUTH':
      return {
        result: 'auth',
        code,
        reason: 'BMC refused the credentials',
        hint: `check the password file ${machine.bmc.credentialsFile} and the BMC user`,
      };
    case 'BMC_TIMEOUT':
      return { result: 'timeout', code, reason: 'BMC did not answer', hint: `check the BMC's network and address ${address}` };
    case 'BMC_PROTOCOL': {
      const details: string[] = [];
      if (err instanceof BmcProtocolError) {
        if (err.completionCode !== undefined) details.push(`completion code 0x${err.completionCode.toString(16).padStart(2, '0')}`);
        if (err.messageId !== undefined) details.push(`message id ${err.messageId}`);
      }
      return {
        result: 'error',
        code,
        reason: `BMC answered the ${operation} with an error${details.length ? ` (${details.join(', ')})` : ''}: ${messageOf(err)}`,
        hint: `check the BMC at ${address} (its event log, firmware) and that the ${machine.bmc.driver} driver suits it`,
      };
    }
    case 'BMC_CONFIG':
    case 'BMC_SECRET_FILE':
      return {
        result: 'error',
        code,
        reason: `BMC settings are not usable: ${messageOf(err)}`,
        hint: `fix the password file ${machine.bmc.credentialsFile} or re-enroll the machine with correct BMC settings`,
      };
    case 'BMC_UNSUPPORTED':
      return {
        result: 'error',
        code,
        reason: `BMC cannot do the ${operation}: ${messageOf(err)}`,
        hint: `check that the ${machine.bmc.driver} driver suits the BMC at ${address}`,
      };
    default:
      return {
        result: 'error',
        code: 'UNEXPECTED',
        reason: `the ${operation} failed unexpectedly: ${messageOf(err)}`,
        hint: 'see nimbusd\'s log around this time',
      };
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNEXPECTED';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function positiveInteger(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new InvalidRequestError(`power sync: ${name} must be a whole number ≥ 1, not ${n}`);
  return n;
}

function nonNegative(n: number, name: string): number {
  if (!Number.isFinite(n) || n < 0) throw new InvalidRequestError(`power sync: ${name} must be a number ≥ 0, not ${n}`);
  return n;
}
