/**
 * nimbusctl's view of one provider's nimbusd: the few calls it makes, behind an interface
 * so the create fallback and the live list can be reasoned about (and unit-tested)
 * without a network. `nimbusdConnector` is the real one, over nimbusd's SSH API client,
 * and turns its errors into the typed errors of ./errors.ts with messages that say what
 * to do next.
 */
import { ApiCallError, ApiConnectionError, HostKeyMismatchError, NimbusApiClient, RPC_ERRORS } from '@nimbus/nimbusd/api-client';
import type { Duplex } from 'node:stream';
import { ConsoleBusyError, ConsoleUnsupportedError, HostKeyRefusedError, KeyNotAllowedError, ProviderCallError, ProviderUnreachableError } from './errors.ts';

/** Where a provider's nimbusd answers and the host key it must present. */
export interface ProviderEndpoint {
  providerId: string;
  /** The registry the entry came from (for messages: which entry pins the key). */
  registry: string;
  host: string;
  port: number;
  /** `SHA256:…`, pinned from the registry; never learnt on first use. */
  hostKeyFingerprint: string;
  /** Where to ask for a key to be allowlisted, from the registry entry. */
  signup?: string;
}

export type InstanceState = 'allocated' | 'deploying' | 'deployed' | 'releasing' | 'released';

/** An instance as the provider reports it (the parts nimbusctl uses). */
export interface RemoteInstance {
  id: string;
  state: InstanceState;
  machineId: string;
  idempotencyKey: string;
  request: unknown;
  address: string | null;
  phase: { name: string; at: string } | null;
  createdAt: string;
  /** The login user of its image; absent when the provider does not say. */
  sshUser?: string | null;
}

export interface Capacity {
  free: number;
  classes: Record<string, number>;
}

/** One step of an instance's progress; `outcome` is set on the last one. */
export interface InstanceProgress {
  instance: RemoteInstance;
  machineState: string;
  error: { message: string; class: string | null } | null;
  outcome?: 'deployed' | 'released' | 'failed' | 'allocated' | 'timeout';
}

export type PowerAction = 'on' | 'off' | 'soft-off' | 'cycle' | 'reset';
export type WipeLevel = 'quick' | 'full';

/** An instance's serial console, open at its provider. */
export interface RemoteConsole {
  /** How the provider reaches it: "IPMI SOL". */
  via: string;
  /** Keystrokes in, the machine's output out (paused until piped); destroy it to leave. */
  stream: Duplex;
  /** Settles once the console closed; `reason` is set when the provider closed it. */
  closed: Promise<{ status: number | null; reason: string | undefined }>;
}

/** An open, authenticated session with one provider. */
export interface ProviderSession {
  capacity(): Promise<Capacity>;
  /** The provider's nimbusd version. */
  version(): Promise<string>;
  create(request: Record<string, unknown>, idempotencyKey: string): Promise<{ instance: RemoteInstance; created: boolean }>;
  list(): Promise<RemoteInstance[]>;
  get(id: string): Promise<RemoteInstance>;
  delete(id: string, wipe?: WipeLevel): Promise<RemoteInstance>;
  power(id: string, action: PowerAction): Promise<void>;
  /** Opens the instance's serial console; `force` takes it over from whoever has it. */
  console(id: string, force: boolean): Promise<RemoteConsole>;
  /** Follows the instance until an outcome; `onEvent` sees every change on the way. */
  watch(id: string, onEvent: (event: InstanceProgress) => void, timeoutSeconds?: number): Promise<InstanceProgress>;
  close(): void;
}

export interface ConnectOptions {
  /** The private key (OpenSSH or PEM text) nimbusctl authenticates with. */
  privateKey: string;
  timeoutMs: number;
}

export interface ProviderConnector {
  /** Opens a session; rejects with HostKeyRefusedError, KeyNotAllowedError or ProviderUnreachableError. */
  connect(endpoint: ProviderEndpoint, options: ConnectOptions): Promise<ProviderSession>;
}

/** How nimbusctl names a provider in messages: its id and address. */
export function describeEndpoint(e: ProviderEndpoint): string {
  return `provider "${e.providerId}" (${e.host}:${e.port})`;
}

/** The real connector: nimbusd's SSH API with the host key pinned. */
export const nimbusdConnector: ProviderConnector = {
  async connect(endpoint, options) {
    let client: NimbusApiClient;
    try {
      client = await NimbusApiClient.connect({
        host: endpoint.host,
        port: endpoint.port,
        privateKey: options.privateKey,
        hostKeyFingerprint: endpoint.hostKeyFingerprint,
        connectTimeoutMs: options.timeoutMs,
      });
    } catch (err) {
      throw toProviderError(err, endpoint, 'connect');
    }
    return new NimbusdSession(client, endpoint);
  },
};

class NimbusdSession implements ProviderSession {
  readonly #client: NimbusApiClient;
  readonly #endpoint: ProviderEndpoint;

  constructor(client: NimbusApiClient, endpoint: ProviderEndpoint) {
    this.#client = client;
    this.#endpoint = endpoint;
  }

  async #run<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toProviderError(err, this.#endpoint, what);
    }
  }

  capacity(): Promise<Capacity> {
    return this.#run('capacity', () => this.#client.call('capacity', undefined));
  }

  version(): Promise<string> {
    return this.#run('version', async () => (await this.#client.call('version', undefined)).nimbusd);
  }

  create(request: Record<string, unknown>, idempotencyKey: string): Promise<{ instance: RemoteInstance; created: boolean }> {
    return this.#run('instances.create', () => this.#client.call('instances.create', { request, idempotencyKey }));
  }

  async list(): Promise<RemoteInstance[]> {
    return (await this.#run('instances.list', () => this.#client.call('instances.list', undefined))).instances;
  }

  async get(id: string): Promise<RemoteInstance> {
    return (await this.#run('instances.get', () => this.#client.call('instances.get', { id }))).instance;
  }

  async delete(id: string, wipe?: WipeLevel): Promise<RemoteInstance> {
    return (await this.#run('instances.delete', () => this.#client.call('instances.delete', wipe === undefined ? { id } : { id, wipe }))).instance;
  }

  async power(id: string, action: PowerAction): Promise<void> {
    await this.#run('instances.power', () => this.#client.call('instances.power', { id, action }));
  }

  async console(id: string, force: boolean): Promise<RemoteConsole> {
    try {
      const session = await this.#client.openConsole(force ? { id, force } : { id });
      return { via: session.result.via, stream: session.stream, closed: session.closed };
    } catch (err) {
      throw consoleError(toProviderError(err, this.#endpoint, 'instances.console'), id, this.#endpoint);
    }
  }

  watch(id: string, onEvent: (event: InstanceProgress) => void, timeoutSeconds?: number): Promise<InstanceProgress> {
    return this.#run('instances.watch', () =>
      this.#client.watchInstance(timeoutSeconds === undefined ? { id } : { id, timeoutSeconds }, (event) => onEvent(event as InstanceProgress)),
    ) as Promise<InstanceProgress>;
  }

  close(): void {
    this.#client.close();
  }
}

/** A refused console, as the error that says what to do about it. */
function consoleError(err: Error, id: string, endpoint: ProviderEndpoint): Error {
  const tooOld = `${describeEndpoint(endpoint)} runs a nimbusd without consoles; ask the provider to upgrade it, or log in with \`nimbusctl instance ssh ${id}\``;
  // A nimbusd from before consoles refuses the channel itself.
  if (err instanceof ProviderUnreachableError && err.message.includes('refused the nimbus-console channel')) return new ConsoleUnsupportedError(tooOld, { cause: err });
  if (!(err instanceof ProviderCallError)) return err;
  if (err.rpcCode === RPC_ERRORS.CONFLICT && err.reason === 'console-busy') {
    return new ConsoleBusyError(`the console of ${id} is open in another session; run again with --force to take it over (the other session is closed)`, { cause: err });
  }
  if (err.rpcCode === RPC_ERRORS.UNAVAILABLE) return new ConsoleUnsupportedError(err.message, { cause: err });
  if (err.rpcCode === RPC_ERRORS.METHOD_NOT_FOUND) return new ConsoleUnsupportedError(tooOld, { cause: err });
  return err;
}

/** ssh2 marks an authentication failure with this level on its error. */
const AUTH_FAILED_LEVEL = 'client-authentication';

/** The typed error for what the API client threw, with a message that says what to do next. */
export function toProviderError(err: unknown, endpoint: ProviderEndpoint, what: string): Error {
  const where = describeEndpoint(endpoint);
  if (err instanceof HostKeyMismatchError) {
    // The client's message is the only place the key it saw is given; it is shown, not branched on.
    const seen = /is (SHA256:[A-Za-z0-9+/]+)/.exec(err.message)?.[1] ?? 'another key';
    return new HostKeyRefusedError(
      `${where} presented host key ${seen}, but registry "${endpoint.registry}" (providers/${endpoint.providerId}.toml) pins ${endpoint.hostKeyFingerprint}; refusing to connect. ` +
        'If the provider replaced its key, its registry entry must be updated first (then run `nimbusctl registry sync`); otherwise something else is answering at that address.',
      { cause: err },
    );
  }
  if (err instanceof ApiConnectionError) {
    const level = (err.cause as { level?: unknown } | undefined)?.level;
    if (level === AUTH_FAILED_LEVEL) {
      const ask = endpoint.signup ? `ask for it to be allowlisted at ${endpoint.signup}` : 'ask the provider (see `nimbusctl providers show ' + endpoint.providerId + '`) to allowlist it';
      return new KeyNotAllowedError(`${where} does not accept your key (its tenant policy only lets listed keys in): ${ask}, or use another key with --identity`, {
        cause: err,
      });
    }
    return new ProviderUnreachableError(`${where} is unreachable (${what}): ${err.message}`, { cause: err });
  }
  if (err instanceof ApiCallError) {
    const reason = typeof err.data?.reason === 'string' ? err.data.reason : undefined;
    return new ProviderCallError(`${where} refused ${err.message}`, err.rpcCode, reason, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
