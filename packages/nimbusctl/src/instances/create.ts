/**
 * Creating instances over the placement's candidates, best first. The registry is
 * discovery data and may be stale; the provider's nimbusd is the authority. So for each
 * instance wanted, each candidate in turn: connect with the host key pinned (refused on a
 * mismatch), ask for live capacity (skip a class with none free), create with an
 * idempotency key recorded beforehand; on a conflict, an unreachable provider, or a key
 * the provider does not accept, say so and move on to the next candidate.
 */
import type { InstanceBook, InstanceRecord, PendingCreate } from './book.ts';
import { HostKeyRefusedError, KeyNotAllowedError, ProviderCallError, ProviderUnreachableError } from './errors.ts';
import type { Capacity, ProviderConnector, ProviderEndpoint, ProviderSession, RemoteInstance } from './provider-api.ts';
import { RPC_ERRORS } from '@nimbus/nimbusd/api-client';

/** A machine class of a provider that placement ranked. */
export interface CreateCandidate {
  endpoint: ProviderEndpoint;
  classId: string;
}

/** Why a candidate was passed over, or that it took the instance. */
export type AttemptResult = 'created' | 'no-capacity' | 'conflict' | 'unreachable' | 'host-key-mismatch' | 'key-not-allowed' | 'refused';

export interface Attempt {
  /** Which of the instances wanted (from 0). */
  instance: number;
  providerId: string;
  classId: string;
  result: AttemptResult;
  message: string;
  /** The candidate tried next (`provider/class`), or null when none is left. */
  next: string | null;
}

export interface CreatedInstance {
  index: number;
  candidate: CreateCandidate;
  instance: RemoteInstance;
  record: InstanceRecord;
  /** The open session it was created over, for following its deploy. */
  session: ProviderSession;
}

export interface CreateRun {
  created: CreatedInstance[];
  /** Instances wanted that no candidate took. */
  failed: number[];
  attempts: Attempt[];
  /** Every session the run opened; the caller closes them when done. */
  sessions: ProviderSession[];
}

export interface CreateOptions {
  /** Ranked, best first. */
  candidates: readonly CreateCandidate[];
  /** For each instance wanted, the candidate placement assigned it (tried first). */
  preferred: readonly number[];
  /** The request for nimbusd without its class (image, sshKeys, requirements). */
  request: Record<string, unknown>;
  /** For each instance wanted, its name (hostname), if any. */
  names: readonly (string | undefined)[];
  image: string;
  identityFile: string;
  privateKey: string;
  /** Made once per `create` run; instance i's key is `${runKey}-${i}`. */
  runKey: string;
  connector: ProviderConnector;
  book: InstanceBook;
  connectTimeoutMs: number;
  /** Told about each attempt as it ends, for progress messages. */
  onAttempt?: (attempt: Attempt) => void;
  now?: () => Date;
}

interface ProviderState {
  session?: ProviderSession;
  /** Set once the provider cannot be used for the rest of the run. */
  dead?: { result: AttemptResult; message: string };
  capacity?: Capacity;
}

const label = (c: CreateCandidate): string => `${c.endpoint.providerId}/${c.classId}`;

/** The order instance `preferred` tries the candidates in: its own first, then the rest by rank. */
export function candidateOrder(count: number, preferred: number): number[] {
  const order = preferred >= 0 && preferred < count ? [preferred] : [];
  for (let i = 0; i < count; i++) if (i !== preferred) order.push(i);
  return order;
}

/** Expands placement's assignments (`machines` per candidate) to one preferred candidate per instance. */
export function preferredCandidates(assignments: readonly { candidate: number; machines: number }[], count: number): number[] {
  const out = assignments.flatMap((a) => Array.from({ length: a.machines }, () => a.candidate));
  while (out.length < count) out.push(out.at(-1) ?? 0);
  return out.slice(0, count);
}

export async function createInstances(options: CreateOptions): Promise<CreateRun> {
  const now = options.now ?? (() => new Date());
  const providers = new Map<string, ProviderState>();
  const exhausted = new Set<string>();
  const run: CreateRun = { created: [], failed: [], attempts: [], sessions: [] };

  const stateOf = (endpoint: ProviderEndpoint): ProviderState => {
    let state = providers.get(endpoint.providerId);
    if (!state) providers.set(endpoint.providerId, (state = {}));
    return state;
  };

  const open = async (endpoint: ProviderEndpoint, state: ProviderState): Promise<ProviderSession> => {
    const session = await options.connector.connect(endpoint, { privateKey: options.privateKey, timeoutMs: options.connectTimeoutMs });
    state.session = session;
    run.sessions.push(session);
    return session;
  };

  try {
    await tryCandidates();
  } catch (err) {
    for (const session of run.sessions) session.close();
    throw err;
  }
  return run;

  async function tryCandidates(): Promise<void> {
    for (let index = 0; index < options.preferred.length; index++) {
      const order = candidateOrder(options.candidates.length, options.preferred[index]!).filter((c) => !exhausted.has(label(options.candidates[c]!)));
      let done = false;
      for (let k = 0; k < order.length && !done; k++) {
        const candidate = options.candidates[order[k]!]!;
        const state = stateOf(candidate.endpoint);
        if (state.dead || exhausted.has(label(candidate))) continue;
        const report = (result: AttemptResult, message: string): void => {
          const next = order.slice(k + 1).map((c) => options.candidates[c]!).find((c) => !stateOf(c.endpoint).dead && !exhausted.has(label(c)));
          const attempt: Attempt = { instance: index, providerId: candidate.endpoint.providerId, classId: candidate.classId, result, message, next: next ? label(next) : null };
          run.attempts.push(attempt);
          options.onAttempt?.(attempt);
        };
        const fail = (err: unknown): void => {
          const result = resultOf(err);
          const message = err instanceof Error ? err.message : String(err);
          if (result === 'conflict' || result === 'no-capacity') exhausted.add(label(candidate));
          else state.dead = { result, message };
          report(result, message);
        };
        try {
          const session = state.session ?? (await open(candidate.endpoint, state));
          state.capacity ??= await session.capacity();
          const free = state.capacity.classes[candidate.classId] ?? 0;
          if (free <= 0) {
            exhausted.add(label(candidate));
            report('no-capacity', `provider "${candidate.endpoint.providerId}" has no free machine of class ${candidate.classId} right now (the registry is discovery data; the provider's count is the live one)`);
            continue;
          }
          const pending: PendingCreate = {
            idempotencyKey: `${options.runKey}-${index}`,
            provider: candidate.endpoint,
            ...(options.names[index] === undefined ? {} : { name: options.names[index] }),
            image: options.image,
            identity: options.identityFile,
            startedAt: now().toISOString(),
          };
          // Recorded before the call: if the answer is lost, the key finds the instance again.
          await options.book.addPending(pending);
          const request = { ...options.request, class: candidate.classId, ...(pending.name === undefined ? {} : { hostname: pending.name }) };
          let answer: { instance: RemoteInstance; created: boolean };
          try {
            answer = await session.create(request, pending.idempotencyKey);
          } catch (err) {
            if (!(err instanceof ProviderUnreachableError)) {
              await options.book.dropPending(pending);
              throw err;
            }
            // The answer may be lost after the provider acted: ask again with the same key on a new connection.
            answer = await (await open(candidate.endpoint, state)).create(request, pending.idempotencyKey);
          }
          state.capacity.classes[candidate.classId] = free - 1;
          const record = await options.book.recordCreated(pending, answer.instance);
          run.created.push({ index, candidate, instance: answer.instance, record, session: state.session! });
          report('created', `instance ${answer.instance.id} ${answer.created ? 'created' : 'already existed (same idempotency key)'} at provider "${candidate.endpoint.providerId}" (class ${candidate.classId})`);
          done = true;
        } catch (err) {
          fail(err);
        }
      }
      if (!done) run.failed.push(index);
    }
  }
}

function resultOf(err: unknown): AttemptResult {
  if (err instanceof HostKeyRefusedError) return 'host-key-mismatch';
  if (err instanceof KeyNotAllowedError) return 'key-not-allowed';
  if (err instanceof ProviderUnreachableError) return 'unreachable';
  if (err instanceof ProviderCallError) return err.rpcCode === RPC_ERRORS.CONFLICT ? 'conflict' : 'refused';
  throw err;
}
