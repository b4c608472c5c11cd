/**
 * The API's methods over the state store. Each call is checked against the caller's role,
 * run, and recorded in the audit log as `api.<method>` with its result; the changes a
 * call makes (an allocation, a release) get their own records from the store, in the same
 * transaction as the change.
 */
import { InvalidRequestError, isMachineState, type MachineState } from '@nimbus/core';
import { ConflictError, NotFoundError, type AuditEntry, type AuditRecord, type Instance, type Machine, type Store, type WipeLevel } from '../state/index.ts';
import type { SerialConsole } from '../bmc/console.ts';
import { POWER_ACTIONS, type PowerAction } from '../bmc/power.ts';
import type { Caller } from './identity.ts';
import { DEFAULT_WATCH_TIMEOUT_S, watchInstance, type InstanceEvent } from './instance-watch.ts';
import { RPC_ERRORS, RpcError, type RpcRequest } from './json-rpc.ts';

/** What a running call may do besides answering: stream events to its caller, and notice the caller leaving. */
export interface CallContext {
  /** Sends `{"jsonrpc":"2.0","method":"event","params":{"id":<request id>,"event":…}}` to the caller. */
  notify(event: unknown): void;
  /** Aborted when the caller's channel closes. */
  signal: AbortSignal;
  /**
   * Present on a console channel only: hands the channel a byte stream to carry once the
   * answer is out (`instances.console`).
   */
  attach?(stream: SerialConsole): void;
}

/** Runs one request for a caller; resolves with the result or rejects with an RpcError. */
export type Dispatcher = (caller: Caller, request: RpcRequest, context?: CallContext) => Promise<unknown>;

/** The parts of the store the API uses. */
export type ApiStore = Pick<
  Store,
  'allocate' | 'release' | 'listInstances' | 'getInstance' | 'listMachines' | 'getMachine' | 'auditTail' | 'readyByClass' | 'onChange'
> &
  Partial<Pick<Store, 'recordAudit'>>;

/** What the API does beyond the store; a method whose service is missing answers that the site cannot do it. */
export interface ApiServices {
  /** Runs a power action on a machine through its BMC. */
  power?(machine: Machine, action: PowerAction, signal: AbortSignal): Promise<void>;
  /** Checks a create request before anything is allocated (e.g. that its image is in the catalog); throws InvalidRequestError. */
  checkRequest?(request: Record<string, unknown>): void;
  /** This nimbusd's version, for `version`. */
  version?: string;
  /** Whether released machines can have their disks wiped (the boot service runs). */
  canWipe?: boolean;
  /** The user a tenant logs in to an instance as (its catalog image's), or null when it has no image. */
  sshUserOf?(request: unknown): string | null;
  /** Opens the serial console of the instance's machine; throws an RpcError or ConflictError a caller can act on. */
  openConsole?(machine: Machine, instance: Instance, options: { force: boolean; signal: AbortSignal }): Promise<SerialConsole>;
}

/** An instance as the API shows it: the stored record plus the user to log in as. */
export type ApiInstance = Instance & { sshUser: string | null };

/** The exec command that opens a console channel: one JSON-RPC `instances.console` line, then raw bytes. */
export const CONSOLE_CHANNEL_NAME = 'nimbus-console';

/** The revision of this API: raised when a method changes in a way an older client would misread. */
export const API_VERSION = 1;

/** The most audit records one `audit.tail` returns, and how many it returns when not told. */
export const MAX_AUDIT_TAIL = 1000;
export const DEFAULT_AUDIT_TAIL = 100;

/** Every method: what it takes and what it answers. The client is typed by this map. */
export interface ApiMethods {
  capacity: { params: Record<string, never> | undefined; result: { free: number; classes: Record<string, number> } };
  /** Which nimbusd answers, and the API revision it speaks. */
  version: { params: Record<string, never> | undefined; result: { nimbusd: string; api: number } };
  'instances.create': { params: { request: Record<string, unknown>; idempotencyKey: string }; result: { instance: ApiInstance; created: boolean } };
  'instances.list': { params: { live?: boolean } | undefined; result: { instances: ApiInstance[] } };
  'instances.get': { params: { id: string }; result: { instance: ApiInstance } };
  /** `wipe` erases the disk (through the deploy ramdisk) before the machine returns to the pool. */
  'instances.delete': { params: { id: string; wipe?: WipeLevel }; result: { instance: ApiInstance } };
  'instances.power': { params: { id: string; action: PowerAction }; result: { instance: Instance; action: PowerAction } };
  /**
   * The serial console, on a channel of its own (`exec nimbus-console`): after the answer,
   * the channel carries the console's bytes both ways. `force` takes it over from another session.
   */
  'instances.console': { params: { id: string; force?: boolean }; result: { instance: ApiInstance; via: string } };
  /** Streams InstanceEvent notifications; answers with the last one, which carries the outcome. */
  'instances.watch': { params: { id: string; timeoutSeconds?: number }; result: InstanceEvent };
  'machines.list': { params: { state?: MachineState } | undefined; result: { machines: Machine[] } };
  'machines.get': { params: { id: string }; result: { machine: Machine } };
  'audit.tail': { params: { limit?: number } | undefined; result: { records: AuditRecord[] } };
}
export type ApiMethodName = keyof ApiMethods;

interface MethodEnv {
  store: ApiStore;
  services: ApiServices;
  context: CallContext;
}

interface MethodSpec {
  adminOnly: boolean;
  run(env: MethodEnv, caller: Caller, params: Params): unknown;
}

/** Tenants are scoped to their own instances; admins see all. */
function tenantScope(caller: Caller): string | undefined {
  return caller.role === 'admin' ? undefined : caller.fingerprint;
}

const METHODS: Record<ApiMethodName, MethodSpec> = {
  capacity: {
    adminOnly: false,
    run: ({ store }) => {
      const classes = store.readyByClass();
      return { free: Object.values(classes).reduce((a, b) => a + b, 0), classes };
    },
  },
  version: {
    adminOnly: false,
    run: ({ services }) => ({ nimbusd: services.version ?? 'unknown', api: API_VERSION }),
  },
  'instances.create': {
    adminOnly: false,
    run: ({ store, services }, caller, params) => {
      const request = params.object('request');
      const idempotencyKey = params.string('idempotencyKey');
      services.checkRequest?.(request);
      const machineClass = request.class;
      if (machineClass !== undefined && typeof machineClass !== 'string') throw params.invalid('request.class', 'expected a machine class id');
      const { instance, created } = store.allocate({ tenant: caller.fingerprint, request, idempotencyKey, actor: caller, ...(machineClass === undefined ? {} : { machineClass }) });
      return { instance: present(services, instance), created };
    },
  },
  'instances.list': {
    adminOnly: false,
    run: ({ store, services }, caller, params) => {
      const live = params.optionalBoolean('live');
      const scope = tenantScope(caller);
      return { instances: store.listInstances({ ...(scope === undefined ? {} : { tenant: scope }), ...(live === undefined ? {} : { live }) }).map((i) => present(services, i)) };
    },
  },
  'instances.get': {
    adminOnly: false,
    run: ({ store, services }, caller, params) => ({ instance: present(services, store.getInstance(params.string('id'), tenantScope(caller))) }),
  },
  'instances.delete': {
    adminOnly: false,
    run: ({ store, services }, caller, params) => {
      const wipe = params.optionalString('wipe');
      if (wipe !== undefined && wipe !== 'quick' && wipe !== 'full') throw params.invalid('wipe', 'expected quick or full');
      if (wipe !== undefined && !services.canWipe) throw params.invalid('wipe', 'this site cannot wipe disks (its boot service is off)');
      return { instance: present(services, store.release(params.string('id'), caller, tenantScope(caller), wipe)) };
    },
  },
  'instances.power': {
    adminOnly: false,
    run: async ({ store, services, context }, caller, params) => {
      const id = params.string('id');
      const action = params.string('action');
      if (!(POWER_ACTIONS as readonly string[]).includes(action)) throw params.invalid('action', `expected one of ${POWER_ACTIONS.join(', ')}`);
      const instance = store.getInstance(id, tenantScope(caller));
      if (instance.state !== 'deployed') {
        throw new ConflictError('instance-busy', `instance ${id} is ${instance.state}; power actions are for deployed instances`);
      }
      if (!services.power) throw new RpcError(RPC_ERRORS.INTERNAL_ERROR, 'instances.power: this nimbusd has no BMC access configured');
      await services.power(store.getMachine(instance.machineId), action as PowerAction, context.signal);
      return { instance, action };
    },
  },
  'instances.console': {
    adminOnly: false,
    run: async ({ store, services, context }, caller, params) => {
      const id = params.string('id');
      const force = params.optionalBoolean('force') ?? false;
      const instance = store.getInstance(id, tenantScope(caller));
      if (instance.state === 'released' || instance.state === 'releasing') {
        throw new ConflictError('instance-busy', `instance ${id} is ${instance.state}; its console went with it`);
      }
      if (!context.attach) {
        throw new RpcError(RPC_ERRORS.INVALID_REQUEST, `instances.console carries bytes, not JSON: open it on a channel of its own (exec ${CONSOLE_CHANNEL_NAME})`);
      }
      if (!services.openConsole) throw new RpcError(RPC_ERRORS.UNAVAILABLE, 'instances.console: this nimbusd has no BMC access configured');
      const console = await services.openConsole(store.getMachine(instance.machineId), instance, { force, signal: context.signal });
      context.attach(console);
      return { instance: present(services, instance), via: console.via };
    },
  },
  'instances.watch': {
    adminOnly: false,
    run: ({ store, context }, caller, params) => {
      const timeoutSeconds = params.optionalInteger('timeoutSeconds', 1, 24 * 3600) ?? DEFAULT_WATCH_TIMEOUT_S;
      return watchInstance(store, {
        id: params.string('id'),
        tenant: tenantScope(caller),
        withHint: caller.role === 'admin',
        timeoutMs: timeoutSeconds * 1000,
        signal: context.signal,
        notify: (event) => context.notify(event),
      });
    },
  },
  'machines.list': {
    adminOnly: true,
    run: ({ store }, _caller, params) => {
      const state = params.optionalString('state');
      if (state !== undefined && !isMachineState(state)) throw params.invalid('state', `${JSON.stringify(state)} is not a machine state`);
      return { machines: store.listMachines(state === undefined ? {} : { state }) };
    },
  },
  'machines.get': {
    adminOnly: true,
    run: ({ store }, _caller, params) => ({ machine: store.getMachine(params.string('id')) }),
  },
  'audit.tail': {
    adminOnly: true,
    run: ({ store }, _caller, params) => {
      const limit = params.optionalInteger('limit', 1, MAX_AUDIT_TAIL) ?? DEFAULT_AUDIT_TAIL;
      return { records: store.auditTail(limit) };
    },
  },
};

function present(services: ApiServices, instance: Instance): ApiInstance {
  return { ...instance, sshUser: services.sshUserOf?.(instance.request) ?? null };
}

export function isApiMethod(name: string): name is ApiMethodName {
  return Object.hasOwn(METHODS, name);
}

export interface ApiMethodsOptions {
  services?: ApiServices;
  /** Called with an error that is not the caller's fault (answered as `-32603 internal error`). */
  onInternalError?: (err: unknown, method: string) => void;
}

/** The dispatcher of the API's methods over `store`. */
export function createApiDispatcher(store: ApiStore, options: ApiMethodsOptions = {}): Dispatcher {
  const services = options.services ?? {};
  return async (caller, request, context = DETACHED) => {
    const target = targetOf(request.params);
    try {
      const result = await runMethod({ store, services, context }, caller, request);
      audit(store, { actor: caller, action: `api.${request.method}`, target, result: 'ok' });
      return result;
    } catch (err) {
      const rpcError = toRpcError(err, request.method);
      if (rpcError.rpcCode === RPC_ERRORS.INTERNAL_ERROR) options.onInternalError?.(err, request.method);
      audit(store, {
        actor: caller,
        action: `api.${request.method}`,
        target,
        result: resultWord(rpcError.rpcCode),
        detail: { code: rpcError.rpcCode, message: rpcError.message },
      });
      throw rpcError;
    }
  };
}

/** The context of a call made without a channel (in-process callers): events go nowhere, nothing aborts it. */
const DETACHED: CallContext = { notify: () => {}, signal: new AbortController().signal };

function runMethod(env: MethodEnv, caller: Caller, request: RpcRequest): unknown {
  if (!isApiMethod(request.method)) throw new RpcError(RPC_ERRORS.METHOD_NOT_FOUND, `method not found: ${request.method}`);
  const spec = METHODS[request.method];
  if (spec.adminOnly && caller.role !== 'admin') {
    throw new RpcError(RPC_ERRORS.FORBIDDEN, `${request.method} is for admins only`);
  }
  return spec.run(env, caller, new Params(request.method, request.params));
}

function toRpcError(err: unknown, method: string): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof NotFoundError) return new RpcError(RPC_ERRORS.NOT_FOUND, err.message, { code: err.code });
  if (err instanceof ConflictError) return new RpcError(RPC_ERRORS.CONFLICT, err.message, { code: err.code, reason: err.reason });
  if (err instanceof InvalidRequestError) return new RpcError(RPC_ERRORS.INVALID_PARAMS, `${method}: ${err.message}`, { code: err.code });
  return new RpcError(RPC_ERRORS.INTERNAL_ERROR, `${method}: internal error`);
}

function resultWord(rpcCode: number): string {
  switch (rpcCode) {
    case RPC_ERRORS.NOT_FOUND:
      return 'not-found';
    case RPC_ERRORS.FORBIDDEN:
      return 'denied';
    case RPC_ERRORS.CONFLICT:
      return 'conflict';
    case RPC_ERRORS.METHOD_NOT_FOUND:
      return 'unknown-method';
    case RPC_ERRORS.INVALID_PARAMS:
      return 'invalid';
    case RPC_ERRORS.UNAVAILABLE:
      return 'unavailable';
    default:
      return 'failed';
  }
}

/** The audit target of a call: the id it names, or `-`. */
function targetOf(params: unknown): string {
  const id = typeof params === 'object' && params !== null ? (params as Record<string, unknown>).id : undefined;
  return typeof id === 'string' && id.length <= 200 ? id : '-';
}

function audit(store: ApiStore, entry: AuditEntry): void {
  store.recordAudit?.(entry);
}

/** Reads named params, throwing `-32602` naming the method, the param and what is wrong. */
class Params {
  readonly #method: string;
  readonly #values: Record<string, unknown>;

  constructor(method: string, params: unknown) {
    this.#method = method;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      throw new RpcError(RPC_ERRORS.INVALID_PARAMS, `${method}: params must be an object of named params`);
    }
    this.#values = (params ?? {}) as Record<string, unknown>;
  }

  invalid(name: string, why: string): RpcError {
    return new RpcError(RPC_ERRORS.INVALID_PARAMS, `${this.#method}: params.${name}: ${why}`, { param: name });
  }

  string(name: string): string {
    const value = this.#values[name];
    if (typeof value !== 'string' || value === '') throw this.invalid(name, `expected a non-empty string, got ${describe(value)}`);
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.#values[name] === undefined ? undefined : this.string(name);
  }

  object(name: string): Record<string, unknown> {
    const value = this.#values[name];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.invalid(name, `expected an object, got ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.#values[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw this.invalid(name, `expected true or false, got ${describe(value)}`);
    return value;
  }

  optionalInteger(name: string, min: number, max: number): number | undefined {
    const value = this.#values[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.invalid(name, `expected an integer from ${min} to ${max}, got ${describe(value)}`);
    }
    return value;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : `${typeof value} ${JSON.stringify(value)}`;
}
