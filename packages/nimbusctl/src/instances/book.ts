/**
 * The user's own record of their instances: which instance lives at which provider, how
 * to reach it, and what was last seen of it. There is no central service, so this file is
 * what `instance list` starts from. `$XDG_STATE_HOME/nimbus/instances.json`, mode 0600,
 * replaced atomically (temp file + rename) so a crash never leaves half a file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InstanceNotFoundError, InstanceRecordError } from './errors.ts';
import type { InstanceState, ProviderEndpoint, RemoteInstance } from './provider-api.ts';

export const INSTANCES_FILE = 'instances.json';
const VERSION = 1;

/** One instance, as the user's record keeps it. */
export interface InstanceRecord {
  id: string;
  provider: ProviderEndpoint;
  /** The name the user gave (`--name`), used as its hostname. */
  name?: string;
  image: string;
  /** The login user of its image, once the provider said. */
  sshUser: string | null;
  /** The private key the instance was created with (the provider knows the tenant by it). */
  identity: string;
  idempotencyKey: string;
  state: InstanceState;
  address: string | null;
  phase: string | null;
  createdAt: string;
  /** When the provider last answered about it. */
  seenAt: string;
}

/**
 * A create sent (or about to be sent) whose answer has not been recorded: written before
 * the call so that a lost answer can be found again by its idempotency key.
 */
export interface PendingCreate {
  idempotencyKey: string;
  provider: ProviderEndpoint;
  name?: string;
  image: string;
  identity: string;
  startedAt: string;
}

export interface InstanceBookData {
  version: number;
  instances: Record<string, InstanceRecord>;
  /** By pendingId: the same key may go to several providers in turn. */
  pending: Record<string, PendingCreate>;
}

/** A pending create's entry: its provider and its idempotency key. */
export function pendingId(p: Pick<PendingCreate, 'provider' | 'idempotencyKey'>): string {
  return `${p.provider.providerId} ${p.idempotencyKey}`;
}

export function instancesFile(stateDir: string): string {
  return join(stateDir, INSTANCES_FILE);
}

/** The record file. Every change reads the file fresh and writes it whole, so two runs lose at most each other's last change. */
export class InstanceBook {
  readonly file: string;
  readonly #now: () => Date;

  constructor(file: string, now: () => Date = () => new Date()) {
    this.file = file;
    this.#now = now;
  }

  async read(): Promise<InstanceBookData> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: VERSION, instances: {}, pending: {} };
      throw err;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new InstanceRecordError(`${this.file} is not JSON (${(err as Error).message}); move it aside to start a new record`, { cause: err });
    }
    const book = data as Partial<InstanceBookData> | null;
    if (typeof book !== 'object' || book === null || typeof book.instances !== 'object' || book.instances === null) {
      throw new InstanceRecordError(`${this.file} is not an instance record (no "instances" object); move it aside to start a new record`);
    }
    if (book.version !== VERSION) throw new InstanceRecordError(`${this.file} has version ${String(book.version)}; this nimbusctl reads version ${VERSION}`);
    return { version: VERSION, instances: book.instances, pending: book.pending ?? {} };
  }

  async #update<T>(change: (data: InstanceBookData) => T): Promise<T> {
    const data = await this.read();
    const result = change(data);
    await this.#write(data);
    return result;
  }

  async #write(data: InstanceBookData): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flush: true });
      await rename(temp, this.file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async list(): Promise<InstanceRecord[]> {
    return Object.values((await this.read()).instances).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }

  /** The record of `id`, or of the only instance whose id starts with it or whose name is it. */
  async get(idOrName: string): Promise<InstanceRecord> {
    const all = await this.list();
    const exact = all.find((r) => r.id === idOrName);
    if (exact) return exact;
    const matches = all.filter((r) => r.name === idOrName || r.id.startsWith(idOrName));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new InstanceNotFoundError(`"${idOrName}" matches ${matches.length} instances (${matches.map((m) => m.id).join(', ')}); give the full id`);
    throw new InstanceNotFoundError(`no instance "${idOrName}" in your record (${this.file}); see nimbusctl instance list`);
  }

  async addPending(pending: PendingCreate): Promise<void> {
    await this.#update((data) => {
      data.pending[pendingId(pending)] = pending;
    });
  }

  async dropPending(pending: Pick<PendingCreate, 'provider' | 'idempotencyKey'>): Promise<void> {
    await this.#update((data) => {
      delete data.pending[pendingId(pending)];
    });
  }

  /** Records what the provider answered for a pending create, and clears the pending entry. */
  async recordCreated(pending: PendingCreate, instance: RemoteInstance): Promise<InstanceRecord> {
    return this.#update((data) => {
      delete data.pending[pendingId(pending)];
      const record: InstanceRecord = {
        id: instance.id,
        provider: pending.provider,
        ...(pending.name === undefined ? {} : { name: pending.name }),
        image: pending.image,
        sshUser: instance.sshUser ?? null,
        identity: pending.identity,
        idempotencyKey: pending.idempotencyKey,
        state: instance.state,
        address: instance.address,
        phase: instance.phase?.name ?? null,
        createdAt: instance.createdAt,
        seenAt: this.#now().toISOString(),
      };
      data.instances[instance.id] = record;
      return record;
    });
  }

  /** Notes what a provider just said about instances already in the record; unknown ids are ignored. */
  async recordSeen(instances: readonly RemoteInstance[]): Promise<InstanceRecord[]> {
    if (instances.length === 0) return [];
    return this.#update((data) => {
      const seenAt = this.#now().toISOString();
      const updated: InstanceRecord[] = [];
      for (const instance of instances) {
        const record = data.instances[instance.id];
        if (!record) continue;
        record.state = instance.state;
        record.address = instance.address;
        record.phase = instance.phase?.name ?? null;
        if (instance.sshUser !== undefined && instance.sshUser !== null) record.sshUser = instance.sshUser;
        record.seenAt = seenAt;
        updated.push(record);
      }
      return updated;
    });
  }

  async remove(id: string): Promise<void> {
    await this.#update((data) => {
      delete data.instances[id];
    });
  }
}
