/**
 * The placement index: a registry turned into rows and sorted lists once, so that each
 * request reads only about the classes that pass its first rules.
 *
 * What is indexed:
 * - Classes are numbered in provider id, class id order (so a number comparison is the
 *   documented tie-break). What the hot rules and the scores read sits in one row of
 *   ROW.size numbers per class: provider, cores, threads, memory, price, machines, a flags
 *   number (arch, which disk types, currency) and a tag signature (one bit per tag).
 *   Disk totals per type are columns; GPUs and tags are flattened slices.
 * - Providers by region, by country and by image, each provider's class range and class
 *   count per arch, and the class counts per arch of each region and country: these
 *   answer the provider-level rules and count what they reject without visiting a class.
 * - Per arch, the classes sorted by cores, by threads and by memory, for the whole
 *   registry and again within each region and each country, each list with a copy of
 *   its classes' rows: a request binary-searches its minimum and reads on in memory
 *   order. These copies are most of the index's size (about 700 bytes a class).
 * - Per arch, the classes sorted by total disk size for each disk type and for all disks;
 *   the classes holding each GPU model (with row copies); the classes carrying each tag.
 *
 * Not indexed: price (it depends on the request's rates: checked on the rows read),
 * images beyond exact names, GPU memory and count (checked on the GPU model's list).
 * The index keeps references to the providers and classes it was built from; they must
 * not change afterwards.
 */
import type { MachineClass, Provider } from '../provider.ts';
import { packFlags, ROW, TAG_SIGNATURE_BITS, tagSignatureBit } from './class-rows.ts';
import { classesBy, groupProviders, Interner, partitionSorted, sortedByKey } from './index-lists.ts';
import { MatchBuffer } from './matches.ts';
import { orderProviders } from './registry-order.ts';
import { ARCHES, DISK_TYPES } from './request.ts';
import { machineCount } from './result.ts';
import { diskTotal, RULES } from './rules.ts';

/** Classes, with (for the lists read most) a copy of their rows in list order, so reading one does not jump around memory. */
export interface ClassList {
  ids: Int32Array;
  /** ROW.size numbers per class, in list order; null when the list does not keep them. */
  rows: Float64Array | null;
}

/** Classes in ascending `keys` order (ties by class number). */
export interface SortedList extends ClassList {
  keys: Float64Array;
}

/** Lists by arch code (0 x86_64, 1 arm64). */
export type PerArch<T> = readonly [T, T];

/** Disk list slot for "all disks, whatever the type", after the DISK_TYPES slots. */
export const ANY_DISK = DISK_TYPES.length;

export class PlacementIndex {
  readonly providerCount: number;
  readonly classCount: number;

  // Providers, in id order.
  readonly providers: readonly Provider[];
  readonly providerNumber: ReadonlyMap<string, number>;
  /** Classes of provider p are classStart[p] … classStart[p + 1] − 1. */
  readonly classStart: Int32Array;
  readonly providerRegion: Int32Array;
  readonly providerCountry: Int32Array;
  readonly providerCurrency: Int32Array;
  /** Classes of provider p with arch a at 2p + a. */
  readonly providerArchCount: Int32Array;
  readonly archTotal: Int32Array;
  readonly regionNumber: ReadonlyMap<string, number>;
  readonly regionProviders: readonly Int32Array[];
  /** Classes of region r with arch a at 2r + a. */
  readonly regionArchCount: Int32Array;
  readonly countryNumber: ReadonlyMap<string, number>;
  readonly countryProviders: readonly Int32Array[];
  /** Classes of country k with arch a at 2k + a. */
  readonly countryArchCount: Int32Array;
  readonly imageProviders: ReadonlyMap<string, Int32Array>;
  readonly currencies: readonly string[];

  // Classes, in provider id then class id order.
  readonly machines: readonly MachineClass[];
  /** ROW.size numbers per class, laid out as ROW says. */
  readonly rows: Float64Array;
  readonly classProvider: Int32Array;
  readonly classArch: Uint8Array;
  /** Total GB by disk type, then of all disks at ANY_DISK. */
  readonly classDisk: readonly Float64Array[];
  /** Bit t set when the class has a disk of DISK_TYPES[t]. */
  readonly classDiskTypes: Uint8Array;
  readonly gpuStart: Int32Array;
  readonly gpuModel: Int32Array;
  readonly gpuMemory: Float64Array;
  readonly gpuCount: Float64Array;
  /** Lower-cased. */
  readonly gpuModels: readonly string[];
  readonly tagStart: Int32Array;
  readonly tagIds: Int32Array;
  readonly tagNumber: ReadonlyMap<string, number>;
  /** When there are few enough distinct tags, a row's tag signature says exactly which it has. */
  readonly tagSignatureExact: boolean;

  // Sorted lists: by size (cores, threads, memory), then arch.
  readonly sizeLists: readonly PerArch<SortedList>[];
  readonly regionSizeLists: readonly (readonly PerArch<SortedList>[])[];
  readonly countrySizeLists: readonly (readonly PerArch<SortedList>[])[];
  readonly diskLists: readonly PerArch<SortedList>[];
  readonly gpuModelClasses: readonly PerArch<ClassList>[];
  readonly tagClasses: readonly PerArch<ClassList>[];

  /**
   * Scratch space for one request at a time: a provider is marked when its slot holds
   * the current generation, so nothing is cleared between requests; the match buffer is
   * reused. Placement is synchronous, so requests on one index never interleave, and no
   * result refers to this space.
   */
  readonly scratch: {
    generation: number;
    excluded: Uint32Array;
    pinned: Uint32Array;
    image: Uint32Array;
    passing: Uint32Array;
    /** Spread ranking: the provider's latest match, valid when groupMark holds the generation. */
    groupHead: Int32Array;
    groupMark: Uint32Array;
    /** Spread ranking: the provider's matches are scored when this holds the generation. */
    groupScored: Uint32Array;
    /** Rejected classes by rule number. */
    counts: Float64Array;
    matches: MatchBuffer;
  };

  constructor(providers: readonly Provider[]) {
    const ordered = orderProviders(providers);
    const P = ordered.length;
    const N = ordered.reduce((n, o) => n + o.machines.length, 0);
    this.providerCount = P;
    this.classCount = N;
    this.providers = ordered.map((o) => o.provider);
    this.providerNumber = new Map(this.providers.map((p, i) => [p.id, i]));

    const regions = new Interner();
    const countries = new Interner();
    const currencies = new Interner();
    const images = new Map<string, number[]>();
    this.classStart = new Int32Array(P + 1);
    this.providerRegion = new Int32Array(P);
    this.providerCountry = new Int32Array(P);
    this.providerCurrency = new Int32Array(P);
    this.providerArchCount = new Int32Array(2 * P);
    this.archTotal = new Int32Array(2);

    const machines: MachineClass[] = [];
    const rows = new Float64Array(N * ROW.size);
    this.rows = rows;
    this.classProvider = new Int32Array(N);
    this.classArch = new Uint8Array(N);
    this.classDisk = [...DISK_TYPES, 'any'].map(() => new Float64Array(N));
    this.classDiskTypes = new Uint8Array(N);
    this.gpuStart = new Int32Array(N + 1);
    this.tagStart = new Int32Array(N + 1);
    const gpuModel: number[] = [];
    const gpuMemory: number[] = [];
    const gpuCount: number[] = [];
    const tagIds: number[] = [];
    const gpuModels = new Interner();
    const tags = new Interner();

    ordered.forEach(({ provider, machines: classes }, p) => {
      this.classStart[p] = machines.length;
      this.providerRegion[p] = regions.number(provider.location.region);
      this.providerCountry[p] = countries.number(provider.location.country);
      this.providerCurrency[p] = currencies.number(provider.price.currency);
      for (const image of new Set(provider.images)) {
        const list = images.get(image);
        if (list === undefined) images.set(image, [p]);
        else list.push(p);
      }
      for (const machine of classes) {
        const c = machines.length;
        machines.push(machine);
        const arch = ARCHES.indexOf(machine.arch);
        this.classProvider[c] = p;
        this.classArch[c] = arch;
        this.providerArchCount[2 * p + arch]!++;
        this.archTotal[arch]!++;
        const row = c * ROW.size;
        rows[row + ROW.provider] = p;
        rows[row + ROW.cores] = machine.cpu.cores;
        rows[row + ROW.threads] = machine.cpu.threads;
        rows[row + ROW.memory] = machine.memory_gib;
        rows[row + ROW.price] = machine.price_per_hour;
        rows[row + ROW.available] = machineCount(machine);
        DISK_TYPES.forEach((type, t) => { this.classDisk[t]![c] = diskTotal(machine, type); });
        this.classDisk[ANY_DISK]![c] = diskTotal(machine, undefined);
        for (const disk of machine.disks) this.classDiskTypes[c]! |= 1 << DISK_TYPES.indexOf(disk.type);
        this.gpuStart[c] = gpuModel.length;
        for (const gpu of machine.gpus ?? []) {
          gpuModel.push(gpuModels.number(gpu.model.toLowerCase()));
          gpuMemory.push(gpu.memory_gib);
          gpuCount.push(gpu.count);
        }
        this.tagStart[c] = tagIds.length;
        let signature = 0;
        for (const tag of new Set(machine.tags ?? [])) {
          const t = tags.number(tag);
          tagIds.push(t);
          signature |= tagSignatureBit(t);
        }
        rows[row + ROW.flags] = packFlags(arch, this.classDiskTypes[c]!, this.providerCurrency[p]!);
        rows[row + ROW.tags] = signature;
      }
    });
    this.classStart[P] = N;
    this.gpuStart[N] = gpuModel.length;
    this.tagStart[N] = tagIds.length;
    this.machines = machines;
    this.gpuModel = Int32Array.from(gpuModel);
    this.gpuMemory = Float64Array.from(gpuMemory);
    this.gpuCount = Float64Array.from(gpuCount);
    this.gpuModels = gpuModels.values;
    this.tagIds = Int32Array.from(tagIds);
    this.tagNumber = tags.numbers;
    this.tagSignatureExact = tags.values.length <= TAG_SIGNATURE_BITS;
    this.regionNumber = regions.numbers;
    this.countryNumber = countries.numbers;
    this.currencies = currencies.values;
    this.regionProviders = groupProviders(this.providerRegion, regions.values.length);
    this.countryProviders = groupProviders(this.providerCountry, countries.values.length);
    this.regionArchCount = new Int32Array(2 * regions.values.length);
    this.countryArchCount = new Int32Array(2 * countries.values.length);
    for (let p = 0; p < P; p++) {
      for (let a = 0; a < 2; a++) {
        this.regionArchCount[2 * this.providerRegion[p]! + a]! += this.providerArchCount[2 * p + a]!;
        this.countryArchCount[2 * this.providerCountry[p]! + a]! += this.providerArchCount[2 * p + a]!;
      }
    }
    this.imageProviders = new Map([...images].map(([image, list]) => [image, Int32Array.from(list)]));

    const classRegion = this.classProvider.map((p) => this.providerRegion[p]!);
    const classCountry = this.classProvider.map((p) => this.providerCountry[p]!);
    const sizeColumns = [ROW.cores, ROW.threads, ROW.memory]
      .map((at) => Float64Array.from({ length: N }, (_, c) => rows[c * ROW.size + at]!));
    const sizeLists: PerArch<SortedList>[] = [];
    const byRegion: PerArch<SortedList>[][] = regions.values.map(() => []);
    const byCountry: PerArch<SortedList>[][] = countries.values.map(() => []);
    for (const column of sizeColumns) {
      const order = sortedByKey(column, null);
      sizeLists.push(partitionSorted(order, column, this.classArch, null, 1, rows)[0]!);
      partitionSorted(order, column, this.classArch, classRegion, regions.values.length, rows)
        .forEach((lists, r) => byRegion[r]!.push(lists));
      partitionSorted(order, column, this.classArch, classCountry, countries.values.length, rows)
        .forEach((lists, k) => byCountry[k]!.push(lists));
    }
    this.sizeLists = sizeLists;
    this.regionSizeLists = byRegion;
    this.countrySizeLists = byCountry;
    this.diskLists = this.classDisk.map((column, t) => {
      const has = t === ANY_DISK ? null : (c: number) => (this.classDiskTypes[c]! & (1 << t)) !== 0;
      return partitionSorted(sortedByKey(column, has), column, this.classArch, null, 1, null)[0]!;
    });
    this.gpuModelClasses = classesBy(N, gpuModels.values.length, this.classArch, rows, (c, add) => {
      for (let e = this.gpuStart[c]!; e < this.gpuStart[c + 1]!; e++) add(this.gpuModel[e]!);
    });
    this.tagClasses = classesBy(N, tags.values.length, this.classArch, null, (c, add) => {
      for (let e = this.tagStart[c]!; e < this.tagStart[c + 1]!; e++) add(this.tagIds[e]!);
    });

    this.scratch = {
      generation: 0,
      excluded: new Uint32Array(P),
      pinned: new Uint32Array(P),
      image: new Uint32Array(P),
      passing: new Uint32Array(P),
      groupHead: new Int32Array(P),
      groupMark: new Uint32Array(P),
      groupScored: new Uint32Array(P),
      counts: new Float64Array(RULES.length),
      matches: new MatchBuffer(),
    };
  }

  /** Starts a request: marks set before are now stale. */
  nextGeneration(): number {
    const s = this.scratch;
    if (s.generation === 0xffffffff) {
      for (const marks of [s.excluded, s.pinned, s.image, s.passing, s.groupMark, s.groupScored]) marks.fill(0);
      s.generation = 0;
    }
    return ++s.generation;
  }

  classCountOf(p: number): number {
    return this.classStart[p + 1]! - this.classStart[p]!;
  }
}

/** Build once, query many times with `place`. Throws DuplicateIdError for a registry with a repeated id. */
export function buildPlacementIndex(providers: readonly Provider[]): PlacementIndex {
  return new PlacementIndex(providers);
}
