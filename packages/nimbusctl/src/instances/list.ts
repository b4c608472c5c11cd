/**
 * `instance list`: every provider the user's record names, asked live and in parallel,
 * each under a timeout. What a provider says updates the record; the rows of a provider
 * that does not answer come from the record, marked stale with their age.
 */
import type { InstanceBook, InstanceRecord, PendingCreate } from './book.ts';
import { ProviderUnreachableError } from './errors.ts';
import type { ProviderConnector, ProviderEndpoint, ProviderSession, RemoteInstance } from './provider-api.ts';
import { describeEndpoint } from './provider-api.ts';
import { withTimeout } from './targets.ts';

export interface InstanceRow {
  id: string;
  name?: string;
  providerId: string;
  state: string;
  phase: string | null;
  address: string | null;
  sshUser: string | null;
  image: string;
  /** When the provider last answered about it. */
  seenAt: string;
  /** The provider did not answer now: the row is the record's. */
  stale: boolean;
  /** How old a stale row is, in ms. */
  ageMs?: number;
}

export interface ProviderProblem {
  providerId: string;
  message: string;
}

export interface InstanceList {
  rows: InstanceRow[];
  /** Providers that did not answer. */
  unreachable: ProviderProblem[];
  /** Instances the record had that their provider no longer knows; dropped from the record. */
  gone: string[];
}

export interface ListOptions {
  connector: ProviderConnector;
  book: InstanceBook;
  /** Reads a private key file (the record keeps the path each instance was created with). */
  readKey: (file: string) => string;
  /** Authenticate with this key instead of each instance's own. */
  identity?: string;
  timeoutMs: number;
  now?: () => Date;
}

interface Group {
  provider: ProviderEndpoint;
  identity: string;
  records: InstanceRecord[];
  pending: PendingCreate[];
}

/** Records that reach the same provider with the same key go over one connection. */
function groupKey(r: { provider: ProviderEndpoint; identity: string }, identity: string | undefined): string {
  return JSON.stringify([r.provider.providerId, r.provider.host, r.provider.port, r.provider.hostKeyFingerprint, identity ?? r.identity]);
}

function rowOf(record: InstanceRecord, stale: boolean, now: Date): InstanceRow {
  const row: InstanceRow = {
    id: record.id,
    providerId: record.provider.providerId,
    state: record.state,
    phase: record.phase,
    address: record.address,
    sshUser: record.sshUser,
    image: record.image,
    seenAt: record.seenAt,
    stale,
  };
  if (record.name !== undefined) row.name = record.name;
  if (stale) row.ageMs = Math.max(0, now.getTime() - Date.parse(record.seenAt));
  return row;
}

export async function listInstances(options: ListOptions): Promise<InstanceList> {
  const now = options.now ?? (() => new Date());
  const data = await options.book.read();
  const groups = new Map<string, Group>();
  const group = (r: { provider: ProviderEndpoint; identity: string }): Group => {
    const key = groupKey(r, options.identity);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { provider: r.provider, identity: options.identity ?? r.identity, records: [], pending: [] }));
    return g;
  };
  for (const record of Object.values(data.instances)) group(record).records.push(record);
  for (const pending of Object.values(data.pending)) group(pending).pending.push(pending);

  const answers = await Promise.all(
    [...groups.values()].map(async (g) => {
      let session: ProviderSession | undefined;
      let timedOut = false;
      try {
        const ask = async (): Promise<RemoteInstance[]> => {
          session = await options.connector.connect(g.provider, { privateKey: options.readKey(g.identity), timeoutMs: options.timeoutMs });
          if (timedOut) session.close();
          return session.list();
        };
        const live = await withTimeout(ask(), options.timeoutMs, () => {
          timedOut = true;
          return new ProviderUnreachableError(`${describeEndpoint(g.provider)} did not answer within ${options.timeoutMs} ms`);
        });
        return { g, live };
      } catch (err) {
        return { g, error: err instanceof Error ? err.message : String(err) };
      } finally {
        session?.close();
      }
    }),
  );

  const list: InstanceList = { rows: [], unreachable: [], gone: [] };
  const at = now();
  for (const answer of answers) {
    const { g } = answer;
    if (answer.live === undefined) {
      list.unreachable.push({ providerId: g.provider.providerId, message: answer.error ?? 'no answer' });
      list.rows.push(...g.records.map((r) => rowOf(r, true, at)));
      continue;
    }
    const live = new Map(answer.live.map((i) => [i.id, i]));
    // A create whose answer was lost: the provider has the instance under the key recorded before the call.
    for (const pending of g.pending) {
      const found = answer.live.find((i) => i.idempotencyKey === pending.idempotencyKey);
      if (found && !g.records.some((r) => r.id === found.id)) g.records.push(await options.book.recordCreated(pending, found));
      else await options.book.dropPending(pending);
    }
    const seen = await options.book.recordSeen(g.records.map((r) => live.get(r.id)).filter((i): i is RemoteInstance => i !== undefined));
    const seenById = new Map(seen.map((r) => [r.id, r]));
    for (const record of g.records) {
      const fresh = seenById.get(record.id);
      if (!fresh) {
        list.gone.push(record.id);
        await options.book.remove(record.id);
        continue;
      }
      list.rows.push(rowOf(fresh, false, at));
      // Shown once as released, then forgotten: the machine is back in the provider's pool.
      if (fresh.state === 'released') await options.book.remove(fresh.id);
    }
  }
  list.rows.sort((a, b) => (a.providerId === b.providerId ? (a.id < b.id ? -1 : 1) : a.providerId < b.providerId ? -1 : 1));
  return list;
}
