/**
 * What a user asks placement for, how it is checked, and the normalised form the
 * filters and scores read (defaults applied, names case-folded, sets built once).
 */
import type { Arch, DiskType } from '../provider.ts';
import { PlacementRequestError } from './errors.ts';

export interface PlacementRequest {
  arch?: Arch;
  minCores?: number;
  minThreads?: number;
  minMemoryGib?: number;
  /**
   * Local disk. `type` means exactly that type: an nvme disk does not satisfy `type: 'ssd'`.
   * `minSizeGb` is the total size of the disks of that type (count × size), or of all
   * disks when `type` is left out.
   */
  disk?: { type?: DiskType; minSizeGb?: number };
  /**
   * GPUs. `model` matches case-insensitively as a substring of the GPU model ("a100"
   * matches "NVIDIA A100 80GB"). The machine needs at least `minCount` (default 1) GPUs
   * that match the model and have at least `minMemoryGib` each.
   */
  gpu?: { model?: string; minCount?: number; minMemoryGib?: number };
  /** Any of these regions (case-insensitive). */
  regions?: string[];
  /** Any of these ISO 3166-1 alpha-2 codes (case-insensitive). */
  countries?: string[];
  /** An image the provider offers, by exact name. */
  image?: string;
  /** In `currency`. A class priced in a currency without a rate is then rejected (rule `currency`). */
  maxPricePerHour?: number;
  /** Currency of `maxPricePerHour` and of the price score. Defaults to {@link DEFAULT_CURRENCY}. */
  currency?: string;
  /** 1 unit of KEY = value units of `currency`. `currency` itself is always 1. */
  rates?: Record<string, number>;
  /** Every one of these tags is required. */
  tags?: string[];
  /** Only these provider ids. */
  providers?: string[];
  /** Never these provider ids (wins over `providers`). */
  excludeProviders?: string[];
  /** Machines wanted. Defaults to 1. */
  count?: number;
  /** Prefer different providers when count > 1. Defaults to true when count > 1. */
  spread?: boolean;
  /** Most candidates returned (more when the assignments need more). Defaults to {@link DEFAULT_LIMIT}. */
  limit?: number;
  /** Return every rejected class with its first failing rule, and the closest misses. Defaults to false. */
  explain?: boolean;
}

export const DEFAULT_CURRENCY = 'USD';
export const DEFAULT_LIMIT = 10;
/** Upper bound on `count`: the assignment walk is linear in it. */
export const MAX_COUNT = 100_000;

export const ARCHES: readonly Arch[] = ['x86_64', 'arm64'];
export const DISK_TYPES: readonly DiskType[] = ['nvme', 'ssd', 'hdd'];

/** The request after validation, with every default filled in. Zero means "not asked for". */
export interface NormalizedRequest {
  arch: Arch | undefined;
  minCores: number;
  minThreads: number;
  minMemoryGib: number;
  /** Set when the request asks anything of disks. */
  disk: { type: DiskType | undefined; minSizeGb: number } | undefined;
  /** Set when the request asks for GPUs; `model` is lower-cased. */
  gpu: { model: string | undefined; minCount: number; minMemoryGib: number } | undefined;
  /** Lower-cased, sorted, without duplicates. */
  regions: readonly string[] | undefined;
  /** Upper-cased, sorted, without duplicates. */
  countries: readonly string[] | undefined;
  image: string | undefined;
  maxPricePerHour: number | undefined;
  currency: string;
  /** Currency code → units of `currency`; holds `currency` itself as 1. */
  rates: ReadonlyMap<string, number>;
  /** Sorted, without duplicates. */
  tags: readonly string[];
  providers: ReadonlySet<string> | undefined;
  excludeProviders: ReadonlySet<string>;
  count: number;
  spread: boolean;
  limit: number;
  explain: boolean;
}

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'arch', 'minCores', 'minThreads', 'minMemoryGib', 'disk', 'gpu', 'regions', 'countries', 'image',
  'maxPricePerHour', 'currency', 'rates', 'tags', 'providers', 'excludeProviders', 'count', 'spread',
  'limit', 'explain',
]);
const DISK_FIELDS: ReadonlySet<string> = new Set(['type', 'minSizeGb']);
const GPU_FIELDS: ReadonlySet<string> = new Set(['model', 'minCount', 'minMemoryGib']);
const CURRENCY_CODE = /^[A-Za-z]{3}$/;
const UPPER_CURRENCY_CODE = /^[A-Z]{3}$/;

/** Throws {@link PlacementRequestError} naming the first field that is wrong and what is wrong with it. */
export function validateRequest(req: PlacementRequest): void {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    throw new PlacementRequestError('request', `must be an object, got ${describe(req)}`);
  }
  checkKnownFields('', req, KNOWN_FIELDS);
  if (req.arch !== undefined && !ARCHES.includes(req.arch)) {
    throw new PlacementRequestError('arch', `must be one of ${ARCHES.join(', ')}, got ${describe(req.arch)}`);
  }
  checkInteger('minCores', req.minCores, 0);
  checkInteger('minThreads', req.minThreads, 0);
  checkNumber('minMemoryGib', req.minMemoryGib);
  if (req.disk !== undefined) {
    checkObject('disk', req.disk);
    checkKnownFields('disk.', req.disk, DISK_FIELDS);
    if (req.disk.type !== undefined && !DISK_TYPES.includes(req.disk.type)) {
      throw new PlacementRequestError('disk.type', `must be one of ${DISK_TYPES.join(', ')}, got ${describe(req.disk.type)}`);
    }
    checkNumber('disk.minSizeGb', req.disk.minSizeGb);
  }
  if (req.gpu !== undefined) {
    checkObject('gpu', req.gpu);
    checkKnownFields('gpu.', req.gpu, GPU_FIELDS);
    checkString('gpu.model', req.gpu.model);
    checkInteger('gpu.minCount', req.gpu.minCount, 1, '(leave gpu out to not ask for a GPU)');
    checkNumber('gpu.minMemoryGib', req.gpu.minMemoryGib);
  }
  checkStringList('regions', req.regions);
  checkStringList('countries', req.countries);
  checkString('image', req.image);
  checkNumber('maxPricePerHour', req.maxPricePerHour);
  if (req.currency !== undefined && (typeof req.currency !== 'string' || !CURRENCY_CODE.test(req.currency))) {
    throw new PlacementRequestError('currency', `must be a three-letter currency code, got ${describe(req.currency)}`);
  }
  if (req.rates !== undefined) checkRates(req.rates, (req.currency ?? DEFAULT_CURRENCY).toUpperCase());
  checkStringList('tags', req.tags);
  checkStringList('providers', req.providers);
  checkStringList('excludeProviders', req.excludeProviders);
  checkInteger('count', req.count, 1);
  if (req.count !== undefined && req.count > MAX_COUNT) {
    throw new PlacementRequestError('count', `must be at most ${MAX_COUNT}, got ${req.count}`);
  }
  checkBoolean('spread', req.spread);
  checkInteger('limit', req.limit, 1);
  checkBoolean('explain', req.explain);
}

/** Validates, then fills in defaults and builds the sets the rules look things up in. */
export function normalizeRequest(req: PlacementRequest): NormalizedRequest {
  validateRequest(req);
  const currency = (req.currency ?? DEFAULT_CURRENCY).toUpperCase();
  const rates = new Map<string, number>();
  for (const [key, rate] of Object.entries(req.rates ?? {})) rates.set(key, rate);
  rates.set(currency, 1);
  const count = req.count ?? 1;
  const disk = req.disk;
  const diskAsked = disk !== undefined && (disk.type !== undefined || (disk.minSizeGb ?? 0) > 0);
  return {
    arch: req.arch,
    minCores: req.minCores ?? 0,
    minThreads: req.minThreads ?? 0,
    minMemoryGib: req.minMemoryGib ?? 0,
    disk: diskAsked ? { type: disk.type, minSizeGb: disk.minSizeGb ?? 0 } : undefined,
    gpu: req.gpu === undefined ? undefined : {
      model: req.gpu.model?.toLowerCase(),
      minCount: req.gpu.minCount ?? 1,
      minMemoryGib: req.gpu.minMemoryGib ?? 0,
    },
    regions: req.regions === undefined ? undefined : sortedUnique(req.regions.map((r) => r.toLowerCase())),
    countries: req.countries === undefined ? undefined : sortedUnique(req.countries.map((c) => c.toUpperCase())),
    image: req.image,
    maxPricePerHour: req.maxPricePerHour,
    currency,
    rates,
    tags: sortedUnique(req.tags ?? []),
    providers: req.providers === undefined ? undefined : new Set(sortedUnique(req.providers)),
    excludeProviders: new Set(sortedUnique(req.excludeProviders ?? [])),
    count,
    spread: count > 1 && (req.spread ?? true),
    limit: req.limit ?? DEFAULT_LIMIT,
    explain: req.explain ?? false,
  };
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** Code-unit order: the same on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkKnownFields(prefix: string, value: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw new PlacementRequestError(`${prefix}${key}`, `is not a placement request field (known: ${[...known].join(', ')})`);
    }
  }
}

function checkObject(field: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PlacementRequestError(field, `must be an object, got ${describe(value)}`);
  }
}

function checkNumber(field: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PlacementRequestError(field, `must be a finite number, got ${describe(value)}`);
  }
  if (value < 0) throw new PlacementRequestError(field, `must not be negative, got ${value}`);
}

function checkInteger(field: string, value: unknown, min: number, hint?: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new PlacementRequestError(field, `must be an integer, got ${describe(value)}`);
  }
  if (value < min) {
    const what = min === 0 ? 'must not be negative' : `must be at least ${min}`;
    throw new PlacementRequestError(field, `${what}, got ${value}${hint === undefined ? '' : ` ${hint}`}`);
  }
}

function checkBoolean(field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new PlacementRequestError(field, `must be true or false, got ${describe(value)}`);
  }
}

function checkString(field: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.length === 0) {
    throw new PlacementRequestError(field, `must be a non-empty string, got ${describe(value)}`);
  }
}

function checkStringList(field: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new PlacementRequestError(field, `must be a list of strings, got ${describe(value)}`);
  if (value.length === 0) throw new PlacementRequestError(field, 'must not be empty (leave it out to allow any)');
  value.forEach((item: unknown, i) => checkString(`${field}[${i}]`, item));
}

function checkRates(rates: unknown, currency: string): void {
  checkObject('rates', rates);
  for (const [key, rate] of Object.entries(rates as Record<string, unknown>)) {
    if (!UPPER_CURRENCY_CODE.test(key)) {
      throw new PlacementRequestError(`rates.${key}`, 'is not a three-letter upper-case currency code');
    }
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
      throw new PlacementRequestError(`rates.${key}`, `must be a positive finite number, got ${describe(rate)}`);
    }
    if (key === currency && rate !== 1) {
      throw new PlacementRequestError(`rates.${key}`, `is the request's own currency, so it must be 1, got ${rate}`);
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : typeof value;
}
