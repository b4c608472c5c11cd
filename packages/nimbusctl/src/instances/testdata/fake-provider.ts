/**
 * A fake of nimbusctl's own ProviderConnector interface (not of nimbusd): providers that
 * are up with some free machines, down, behind another host key, or refusing the key.
 */
import { ConsoleUnsupportedError, HostKeyRefusedError, KeyNotAllowedError, ProviderCallError, ProviderUnreachableError } from '../errors.ts';
import type { Capacity, InstanceProgress, ProviderConnector, ProviderEndpoint, ProviderSession, RemoteConsole, RemoteInstance } from '../provider-api.ts';
import { RPC_ERRORS } from '@nimbus/nimbusd/api-client';

export interface FakeProvider {
  mode: 'up' | 'down' | 'host-key' | 'auth';
  /** Free machines by class as `capacity` reports them. */
  capacity: Record<string, number>;
  /** Ready machines by class as `instances.create` sees them (default: `capacity`): less than capacity models a race. */
  ready?: Record<string, number>;
  /** `instances.create` loses its answer this many times (the instance is made, the connection drops). */
  loseAnswers?: number;
  instances: RemoteInstance[];
  creates: { request: Record<string, unknown>; key: string }[];
  connects: number;
}

export function fakeProvider(mode: FakeProvider['mode'], capacity: Record<string, number> = {}): FakeProvider {
  return { mode, capacity, instances: [], creates: [], connects: 0 };
}

export function endpoint(providerId: string): ProviderEndpoint {
  return { providerId, registry: 'lab', host: '127.0.0.1', port: 1, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` };
}

export class FakeConnector implements ProviderConnector {
  readonly providers: Record<string, FakeProvider>;

  constructor(providers: Record<string, FakeProvider>) {
    this.providers = providers;
  }

  async connect(e: ProviderEndpoint): Promise<ProviderSession> {
    const p = this.providers[e.providerId];
    if (!p) throw new Error(`no fake provider ${e.providerId}`);
    p.connects++;
    if (p.mode === 'down') throw new ProviderUnreachableError(`provider "${e.providerId}" is unreachable (connect): ECONNREFUSED`);
    if (p.mode === 'host-key') throw new HostKeyRefusedError(`provider "${e.providerId}" presented another host key`);
    if (p.mode === 'auth') throw new KeyNotAllowedError(`provider "${e.providerId}" does not accept your key`);
    return new FakeSession(e, p);
  }
}

class FakeSession implements ProviderSession {
  readonly #e: ProviderEndpoint;
  readonly #p: FakeProvider;
  constructor(e: ProviderEndpoint, p: FakeProvider) {
    this.#e = e;
    this.#p = p;
  }
  async version(): Promise<string> {
    return '0.1.0-fake';
  }

  async console(id: string): Promise<RemoteConsole> {
    throw new ConsoleUnsupportedError(`the fake provider has no console for ${id}`);
  }

  async capacity(): Promise<Capacity> {
    const classes = { ...this.#p.capacity };
    return { free: Object.values(classes).reduce((a, b) => a + b, 0), classes };
  }
  async create(request: Record<string, unknown>, key: string): Promise<{ instance: RemoteInstance; created: boolean }> {
    const p = this.#p;
    p.creates.push({ request, key });
    const existing = p.instances.find((i) => i.idempotencyKey === key);
    if (existing) return { instance: existing, created: false };
    const klass = String(request.class);
    const ready = (p.ready ??= { ...p.capacity });
    if ((ready[klass] ?? 0) <= 0) throw new ProviderCallError(`provider "${this.#e.providerId}" refused instances.create: no ready machine of class ${klass}`, RPC_ERRORS.CONFLICT, 'no-ready-machine');
    ready[klass]! -= 1;
    const instance: RemoteInstance = {
      id: `i-${this.#e.providerId}-${p.instances.length + 1}`,
      state: 'allocated',
      machineId: 'm1',
      idempotencyKey: key,
      request,
      address: null,
      phase: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      sshUser: 'debian',
    };
    p.instances.push(instance);
    if (p.loseAnswers && p.loseAnswers > 0) {
      p.loseAnswers--;
      throw new ProviderUnreachableError(`provider "${this.#e.providerId}" is unreachable (instances.create): the API channel closed`);
    }
    return { instance, created: true };
  }
  async list(): Promise<RemoteInstance[]> {
    return this.#p.instances;
  }
  async get(id: string): Promise<RemoteInstance> {
    const found = this.#p.instances.find((i) => i.id === id);
    if (!found) throw new ProviderCallError('not found', RPC_ERRORS.NOT_FOUND, undefined);
    return found;
  }
  async delete(id: string): Promise<RemoteInstance> {
    const i = await this.get(id);
    i.state = 'releasing';
    return i;
  }
  async power(): Promise<void> {}
  async watch(id: string): Promise<InstanceProgress> {
    return { instance: await this.get(id), machineState: 'deployed', error: null, outcome: 'deployed' };
  }
  close(): void {}
}
