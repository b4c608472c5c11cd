/**
 * Which of the ranked candidates the `count` machines go to.
 *
 * Without spread, candidates fill in rank order: the best takes as many machines as it
 * has, then the next. With spread, machines go round-robin over providers in the order
 * of each provider's best candidate; each turn a provider gives one machine from its
 * best class that has machines left. So 3 machines land on 3 providers when 3 providers
 * match, and double up only when fewer do.
 */

/** `position` is the candidate's 0-based rank. */
export interface RankedAssignment {
  position: number;
  machines: number;
}

export type AssignmentWalk =
  | { kind: 'done'; assignments: RankedAssignment[]; placed: number }
  /** The ranked prefix given was too short to decide; rank more candidates and walk again. */
  | { kind: 'needMore' };

/**
 * Walks the first `length` ranked candidates. `complete` says they are all the matches;
 * when not, the walk answers `needMore` unless the prefix alone decides the outcome the
 * full list would have, so the caller can rank lazily and still get the same answer.
 */
export function assignMachines(
  providerOf: ArrayLike<number>,
  available: ArrayLike<number>,
  length: number,
  count: number,
  spread: boolean,
  complete: boolean,
): AssignmentWalk {
  return spread
    ? roundRobin(providerOf, available, length, count, complete)
    : fillInOrder(available, length, count, complete);
}

function fillInOrder(available: ArrayLike<number>, length: number, count: number, complete: boolean): AssignmentWalk {
  const assignments: RankedAssignment[] = [];
  let remaining = count;
  for (let position = 0; position < length && remaining > 0; position++) {
    const machines = Math.min(Math.max(0, available[position]!), remaining);
    if (machines > 0) {
      assignments.push({ position, machines });
      remaining -= machines;
    }
  }
  if (remaining > 0 && !complete) return { kind: 'needMore' };
  return { kind: 'done', assignments, placed: count - remaining };
}

function roundRobin(
  providerOf: ArrayLike<number>,
  available: ArrayLike<number>,
  length: number,
  count: number,
  complete: boolean,
): AssignmentWalk {
  // Each provider's candidates with machines, in rank order; providers in order of their best.
  const queues = new Map<number, number[]>();
  for (let position = 0; position < length; position++) {
    if (available[position]! <= 0) continue;
    const provider = providerOf[position]!;
    const queue = queues.get(provider);
    if (queue === undefined) queues.set(provider, [position]);
    else queue.push(position);
  }
  // The first round gives one machine to each provider, so it alone decides when enough
  // providers are in the prefix; otherwise later rounds might reach past the prefix.
  if (!complete && queues.size < count) return { kind: 'needMore' };

  const left = new Map<number, number>();
  const given = new Map<number, number>();
  let live = [...queues.values()].map((positions) => ({ positions, next: 0 }));
  let remaining = count;
  while (remaining > 0 && live.length > 0) {
    const stillLive: typeof live = [];
    for (const provider of live) {
      if (remaining === 0) break;
      const position = provider.positions[provider.next]!;
      const machinesLeft = (left.get(position) ?? available[position]!) - 1;
      left.set(position, machinesLeft);
      given.set(position, (given.get(position) ?? 0) + 1);
      remaining--;
      if (machinesLeft <= 0) provider.next++;
      if (provider.next < provider.positions.length) stillLive.push(provider);
    }
    live = stillLive;
  }
  const assignments = [...given.entries()]
    .map(([position, machines]) => ({ position, machines }))
    .sort((a, b) => a.position - b.position);
  return { kind: 'done', assignments, placed: count - remaining };
}
