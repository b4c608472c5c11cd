/**
 * What placement answers, and the assembly both placement paths share once they have
 * ranked their matches: the assignments, the candidates to show, the summary.
 */
import type { MachineClass, Provider } from '../provider.ts';
import { assignMachines } from './assign.ts';
import type { NormalizedRequest } from './request.ts';
import { RULES, type RuleId } from './rules.ts';
import { scoreTerms, type ScoreTerm } from './scoring.ts';

/** What is needed to print a candidate's provider and to reach its nimbusd. */
export interface ProviderSummary {
  id: string;
  name: string;
  region: string;
  country: string;
  city?: string;
  endpoint: { host: string; port: number; host_key: string };
  currency: string;
}

export interface CandidatePrice {
  /** In the provider's currency. */
  perHour: number;
  currency: string;
  /** In the request's currency; null when no rate converts it. */
  converted: number | null;
  convertedCurrency: string;
}

export interface PlacementCandidate {
  providerId: string;
  classId: string;
  provider: ProviderSummary;
  /** The machine class as the registry describes it. */
  machine: MachineClass;
  price: CandidatePrice;
  /** Machines of this class (the registry's count; nimbusd knows how many are free). */
  available: number;
  /** Sum of value × weight over `terms`. */
  score: number;
  terms: ScoreTerm[];
}

/** `machines` of the request go to `candidates[candidate]`. */
export interface Assignment {
  candidate: number;
  providerId: string;
  classId: string;
  machines: number;
}

export interface Rejection {
  providerId: string;
  classId: string;
  /** The first rule, in RULES order, that the class fails. */
  rule: RuleId;
  reason: string;
}

export interface RuleFailure {
  rule: RuleId;
  reason: string;
}

/** A rejected class that failed few rules, with every rule it failed. */
export interface ClosestMiss {
  providerId: string;
  classId: string;
  failedRules: number;
  /**
   * How far the class is from passing: over the failed rules, the sum of how short it
   * falls of each, each term in (0, 1] — the relative shortfall (needs − has) / needs for
   * cores, threads, memory, disk size and matching GPUs, the relative excess
   * (price − max) / max capped at 1 for price, and 1 for any other rule. See `missShortfall`.
   */
  shortfall: number;
  failures: RuleFailure[];
}

/**
 * Nearest first: fewer failed rules, then the smaller shortfall. Equal misses are left to
 * the caller, which keeps them in provider id, class id order.
 */
export function compareMissDistance(
  a: { failedRules: number; shortfall: number },
  b: { failedRules: number; shortfall: number },
): number {
  return a.failedRules - b.failedRules || a.shortfall - b.shortfall;
}

export interface PlacementSummary {
  providers: number;
  /** Machine classes looked at: every class of every provider. */
  considered: number;
  matched: number;
  rejected: number;
  /** Rejected classes by the first rule they failed; every rule is listed, in RULES order. */
  rejectedByRule: Record<RuleId, number>;
  /** Machines in the matching classes. */
  machinesMatched: number;
}

export interface Unsatisfied {
  wanted: number;
  placed: number;
  reason: string;
}

export interface PlacementResult {
  /** Best first: by score, then provider id, then class id. */
  candidates: PlacementCandidate[];
  /** Where the request's machines go; empty when nothing matches. */
  assignments: Assignment[];
  summary: PlacementSummary;
  /** Present when fewer than `count` machines could be placed. */
  unsatisfied?: Unsatisfied;
  /** With `explain`: every rejected class, by provider id then class id. */
  rejected?: Rejection[];
  /**
   * With `explain`: up to {@link CLOSEST_MISSES} rejected classes that failed the fewest
   * rules; among as many failed rules, the smallest shortfall first, then provider id, class id.
   */
  closestMisses?: ClosestMiss[];
}

export const CLOSEST_MISSES = 5;

/** A matching class with its score, as a placement path ranks it. */
export interface RankedEntry {
  provider: Provider;
  machine: MachineClass;
  /** Any number that is equal for classes of the same provider and different otherwise. */
  providerKey: number;
  available: number;
  fit: number;
  /** Converted to the request's currency; undefined when no rate converts it. */
  price: number | undefined;
  priceTerm: number;
  spread: number | undefined;
  score: number;
}

/** A ranked prefix of the matches; `complete` when it holds all of them. */
export interface RankedPrefix {
  entries: readonly RankedEntry[];
  complete: boolean;
}

/** The matches of one request, ranked on demand. */
export interface Ranking {
  /** At least the best `wanted` (all when fewer match), best first. */
  prefix(wanted: number): RankedPrefix;
}

/** Machines of a class: the registry's `count`, 1 when left out. */
export function machineCount(machine: MachineClass): number {
  return machine.count ?? 1;
}

export function summarizeProvider(provider: Provider): ProviderSummary {
  const summary: ProviderSummary = {
    id: provider.id,
    name: provider.name,
    region: provider.location.region,
    country: provider.location.country,
    endpoint: { host: provider.endpoint.host, port: provider.endpoint.port, host_key: provider.endpoint.host_key },
    currency: provider.price.currency,
  };
  if (provider.location.city !== undefined) summary.city = provider.location.city;
  return summary;
}

export function emptyRuleCounts(): Record<RuleId, number> {
  return Object.fromEntries(RULES.map((rule) => [rule, 0])) as Record<RuleId, number>;
}

export function makeSummary(
  providers: number,
  considered: number,
  matched: number,
  rejectedByRule: Record<RuleId, number>,
  machinesMatched: number,
): PlacementSummary {
  return { providers, considered, matched, rejected: considered - matched, rejectedByRule, machinesMatched };
}

/**
 * Ranks lazily: asks `ranking` for the best `limit` matches, and for twice as many each
 * time the assignments cannot be decided on the prefix.
 */
export function assembleResult(
  q: NormalizedRequest,
  ranking: Ranking,
  summary: PlacementSummary,
  explained?: { rejected: Rejection[]; closestMisses: ClosestMiss[] },
): PlacementResult {
  let wanted = q.limit;
  for (;;) {
    const prefix = ranking.prefix(wanted);
    const entries = prefix.entries;
    const walk = assignMachines(
      entries.map((e) => e.providerKey),
      entries.map((e) => e.available),
      entries.length,
      q.count,
      q.spread,
      prefix.complete,
    );
    if (walk.kind === 'needMore') {
      wanted *= 2;
      continue;
    }
    const lastAssigned = walk.assignments.reduce((last, a) => Math.max(last, a.position), -1);
    const shown = entries.slice(0, Math.max(q.limit, lastAssigned + 1));
    const candidates = shown.map((entry) => toCandidate(q, entry));
    const result: PlacementResult = {
      candidates,
      assignments: walk.assignments.map((a) => ({
        candidate: a.position,
        providerId: candidates[a.position]!.providerId,
        classId: candidates[a.position]!.classId,
        machines: a.machines,
      })),
      summary,
    };
    if (walk.placed < q.count) result.unsatisfied = unsatisfied(q.count, walk.placed, summary);
    if (explained !== undefined) {
      result.rejected = explained.rejected;
      result.closestMisses = explained.closestMisses;
    }
    return result;
  }
}

function toCandidate(q: NormalizedRequest, entry: RankedEntry): PlacementCandidate {
  return {
    providerId: entry.provider.id,
    classId: entry.machine.id,
    provider: summarizeProvider(entry.provider),
    machine: entry.machine,
    price: {
      perHour: entry.machine.price_per_hour,
      currency: entry.provider.price.currency,
      converted: entry.price ?? null,
      convertedCurrency: q.currency,
    },
    available: entry.available,
    score: entry.score,
    terms: scoreTerms(entry.fit, entry.priceTerm, entry.spread),
  };
}

function unsatisfied(wanted: number, placed: number, summary: PlacementSummary): Unsatisfied {
  const reason = summary.matched === 0
    ? `no machine class passes every rule (${summary.considered} considered); ask with explain to see why`
    : `only ${plural(summary.machinesMatched, 'machine', 'machines')} in the ${plural(summary.matched, 'matching class', 'matching classes')}, ${wanted} wanted`;
  return { wanted, placed, reason };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
