/**
 * The placement filters, written plainly over the provider model. The reference scan
 * (`placeLinear`) runs these; the index runs its own column-wise copies and uses these
 * for the human reasons, so both report the same rule and the same words.
 *
 * Rules run in {@link RULES} order and a class is rejected by the first that fails:
 * provider-level rules first (one test covers every class of a provider), then the
 * class's own, the rarest-to-pass and cheapest before the rest — a GPU request turns
 * away a machine without one before its CPU is looked at.
 */
import type { DiskType, MachineClass, Provider } from '../provider.ts';
import type { NormalizedRequest } from './request.ts';

export const RULES = [
  'provider', 'region', 'country', 'image',
  'arch', 'gpu', 'cores', 'threads', 'memory', 'disk', 'tags', 'currency', 'price',
] as const;
export type RuleId = (typeof RULES)[number];

/** Position of each rule in {@link RULES}; the index's columns speak these numbers. */
export const RULE_INDEX: Readonly<Record<RuleId, number>> = Object.fromEntries(RULES.map((r, i) => [r, i])) as Record<RuleId, number>;
/** Rules at or after this position look at the machine class, the earlier ones only at its provider. */
export const FIRST_CLASS_RULE = RULE_INDEX.arch;
/**
 * Rule positions by name, and `none` (−1), what a check answers when no rule fails. Hot
 * loops copy these into module consts, like the row layout (see class-rows.ts).
 */
export const RULE_NUMBER = { ...RULE_INDEX, none: -1 } as const;

/** Whether the request asks anything the rule checks; a rule that is not active passes every class. */
export function isRuleActive(rule: RuleId, q: NormalizedRequest): boolean {
  switch (rule) {
    case 'provider': return q.providers !== undefined || q.excludeProviders.size > 0;
    case 'region': return q.regions !== undefined;
    case 'country': return q.countries !== undefined;
    case 'image': return q.image !== undefined;
    case 'arch': return q.arch !== undefined;
    case 'gpu': return q.gpu !== undefined;
    case 'cores': return q.minCores > 0;
    case 'threads': return q.minThreads > 0;
    case 'memory': return q.minMemoryGib > 0;
    case 'disk': return q.disk !== undefined;
    case 'tags': return q.tags.length > 0;
    case 'currency': return q.maxPricePerHour !== undefined;
    case 'price': return q.maxPricePerHour !== undefined;
  }
}

export function passesRule(rule: RuleId, q: NormalizedRequest, provider: Provider, machine: MachineClass): boolean {
  switch (rule) {
    case 'provider':
      return !q.excludeProviders.has(provider.id) && (q.providers === undefined || q.providers.has(provider.id));
    case 'region': return q.regions === undefined || q.regions.includes(provider.location.region);
    case 'country': return q.countries === undefined || q.countries.includes(provider.location.country);
    case 'image': return q.image === undefined || provider.images.includes(q.image);
    case 'arch': return q.arch === undefined || machine.arch === q.arch;
    case 'gpu': return q.gpu === undefined || matchingGpuCount(machine, q.gpu) >= q.gpu.minCount;
    case 'cores': return machine.cpu.cores >= q.minCores;
    case 'threads': return machine.cpu.threads >= q.minThreads;
    case 'memory': return machine.memory_gib >= q.minMemoryGib;
    case 'disk': return q.disk === undefined || passesDisk(machine, q.disk);
    case 'tags': return q.tags.every((tag) => machine.tags?.includes(tag) ?? false);
    case 'currency': return q.maxPricePerHour === undefined || q.rates.has(provider.price.currency);
    case 'price': {
      const price = convertedPrice(q, provider, machine);
      return q.maxPricePerHour === undefined || price === undefined || price <= q.maxPricePerHour;
    }
  }
}

/** The first rule in {@link RULES} order the class fails, or undefined when it passes them all. */
export function firstFailingRule(q: NormalizedRequest, provider: Provider, machine: MachineClass): RuleId | undefined {
  return RULES.find((rule) => !passesRule(rule, q, provider, machine));
}

export function failingRules(q: NormalizedRequest, provider: Provider, machine: MachineClass): RuleId[] {
  return RULES.filter((rule) => !passesRule(rule, q, provider, machine));
}

/**
 * How near a rejected class came to passing: the sum, over the rules it failed, of how
 * short it fell of each, every term in (0, 1] (see {@link ruleShortfall}). 0 for a class
 * that fails nothing, `failed.length` at most. Closest misses with the same number of
 * failed rules rank by it, smallest first. `failed` comes from {@link failingRules}; the
 * terms are added in that (RULES) order, so every path that asks gets the same number.
 */
export function missShortfall(q: NormalizedRequest, provider: Provider, machine: MachineClass, failed: readonly RuleId[]): number {
  let sum = 0;
  for (const rule of failed) sum += ruleShortfall(rule, q, provider, machine);
  return sum;
}

/**
 * How far short of `rule` a class that fails it falls, in (0, 1]:
 * - cores, threads, memory, disk size, GPU count: the relative shortfall
 *   (needs − has) / needs. GPUs count only when they match the model and memory asked,
 *   so a class with no such GPU is 1; so is a class without a disk of the asked type.
 * - price: the relative excess (price − max) / max, in the request's currency, at most 1
 *   (a class three times too dear is as far off as one that cannot pass at all).
 * - provider, region, country, image, arch, tags, currency: 1, since no amount of them is
 *   nearer than another.
 * Meaningless for a rule the class passes.
 */
export function ruleShortfall(rule: RuleId, q: NormalizedRequest, provider: Provider, machine: MachineClass): number {
  switch (rule) {
    case 'gpu': return q.gpu === undefined ? 1 : relativeShortfall(matchingGpuCount(machine, q.gpu), q.gpu.minCount);
    case 'cores': return relativeShortfall(machine.cpu.cores, q.minCores);
    case 'threads': return relativeShortfall(machine.cpu.threads, q.minThreads);
    case 'memory': return relativeShortfall(machine.memory_gib, q.minMemoryGib);
    case 'disk': {
      const disk = q.disk;
      if (disk === undefined || (disk.type !== undefined && !machine.disks.some((d) => d.type === disk.type))) return 1;
      return relativeShortfall(diskTotal(machine, disk.type), disk.minSizeGb);
    }
    case 'price': {
      const price = convertedPrice(q, provider, machine);
      const max = q.maxPricePerHour;
      if (price === undefined || max === undefined || !(max > 0)) return 1;
      return Math.min(1, (price - max) / max);
    }
    default: return 1;
  }
}

/** (needs − has) / needs, in (0, 1] for 0 ≤ has < needs; 1 when needs is 0, which a failed rule never has. */
function relativeShortfall(has: number, needs: number): number {
  if (!(needs > 0)) return 1;
  return Math.min(1, Math.max(0, (needs - has) / needs));
}

/** Total size in GB of the class's disks of `type`, or of all its disks. */
export function diskTotal(machine: MachineClass, type: DiskType | undefined): number {
  let total = 0;
  for (const disk of machine.disks) {
    if (type === undefined || disk.type === type) total += disk.size_gb * (disk.count ?? 1);
  }
  return total;
}

function passesDisk(machine: MachineClass, disk: NonNullable<NormalizedRequest['disk']>): boolean {
  if (disk.type !== undefined && !machine.disks.some((d) => d.type === disk.type)) return false;
  return diskTotal(machine, disk.type) >= disk.minSizeGb;
}

/** How many of the class's GPUs match the requested model and memory. */
export function matchingGpuCount(machine: MachineClass, gpu: NonNullable<NormalizedRequest['gpu']>): number {
  let count = 0;
  for (const g of machine.gpus ?? []) {
    if (gpuModelMatches(g.model, gpu.model) && g.memory_gib >= gpu.minMemoryGib) count += g.count;
  }
  return count;
}

/** `wanted` is lower-cased already; a request without a model takes any GPU. */
export function gpuModelMatches(model: string, wanted: string | undefined): boolean {
  return wanted === undefined || model.toLowerCase().includes(wanted);
}

/** The class's hourly price in the request's currency, or undefined when no rate converts it. */
export function convertedPrice(q: NormalizedRequest, provider: Provider, machine: MachineClass): number | undefined {
  const rate = q.rates.get(provider.price.currency);
  return rate === undefined ? undefined : machine.price_per_hour * rate;
}

/** Why the class fails `rule`, in words a user can act on ("has 16 cores, needs 32"). */
export function rejectionReason(rule: RuleId, q: NormalizedRequest, provider: Provider, machine: MachineClass): string {
  switch (rule) {
    case 'provider':
      return q.excludeProviders.has(provider.id)
        ? `provider ${provider.id} is excluded`
        : `provider ${provider.id} is not one of ${[...q.providers ?? []].join(', ')}`;
    case 'region': return `is in region ${provider.location.region}, needs ${oneOf(q.regions ?? [])}`;
    case 'country': return `is in country ${provider.location.country}, needs ${oneOf(q.countries ?? [])}`;
    case 'image': return `provider ${provider.id} does not offer image ${q.image ?? ''}`;
    case 'arch': return `is ${machine.arch}, needs ${q.arch ?? ''}`;
    case 'gpu': return gpuReason(q, machine);
    case 'cores': return `has ${machine.cpu.cores} cores, needs ${q.minCores}`;
    case 'threads': return `has ${machine.cpu.threads} threads, needs ${q.minThreads}`;
    case 'memory': return `has ${machine.memory_gib} GiB memory, needs ${q.minMemoryGib}`;
    case 'disk': return diskReason(q, machine);
    case 'tags': {
      const missing = q.tags.filter((tag) => !(machine.tags?.includes(tag) ?? false));
      return `lacks tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`;
    }
    case 'currency':
      return `is priced in ${provider.price.currency} and no rate converts ${provider.price.currency} to ${q.currency}`;
    case 'price': {
      const own = `${formatAmount(machine.price_per_hour)} ${provider.price.currency}/h`;
      const converted = `${formatAmount(convertedPrice(q, provider, machine) ?? NaN)} ${q.currency}/h`;
      const cost = provider.price.currency === q.currency ? own : `${converted} (${own})`;
      return `costs ${cost}, more than ${formatAmount(q.maxPricePerHour ?? 0)} ${q.currency}/h`;
    }
  }
}

function gpuReason(q: NormalizedRequest, machine: MachineClass): string {
  const gpu = q.gpu!;
  const wanted = [
    gpu.model === undefined ? '' : ` matching "${gpu.model}"`,
    gpu.minMemoryGib > 0 ? ` with at least ${gpu.minMemoryGib} GiB each` : '',
  ].join('');
  if ((machine.gpus ?? []).length === 0) return `has no GPU, needs ${gpu.minCount}${wanted}`;
  const have = matchingGpuCount(machine, gpu);
  return `has ${have} GPU${have === 1 ? '' : 's'}${wanted}, needs ${gpu.minCount}`;
}

function diskReason(q: NormalizedRequest, machine: MachineClass): string {
  const disk = q.disk!;
  if (disk.type !== undefined && !machine.disks.some((d) => d.type === disk.type)) return `has no ${disk.type} disk`;
  return `has ${diskTotal(machine, disk.type)} GB of ${disk.type ?? 'disk'}, needs ${disk.minSizeGb}`;
}

function oneOf(values: readonly string[]): string {
  return values.length === 1 ? values[0]! : `one of ${values.join(', ')}`;
}

/** At most four decimals, no trailing zeros: 2.4, 0.0125, 13. */
export function formatAmount(value: number): string {
  return String(Number(value.toFixed(4)));
}
