/**
 * The provider-level rules on the index (provider, region, country, image): which
 * providers pass, counting every class of those that do not under the rule it fails
 * first, mostly without visiting them.
 */
import { providerFailure, type CompiledQuery } from './compiled-query.ts';
import { RULE_NUMBER } from './rules.ts';

const { none: PASS, provider: PROVIDER, region: REGION, country: COUNTRY, image: IMAGE } = RULE_NUMBER;

/**
 * How to tell that a class's provider passes the provider-level rules (a PassingProviders
 * kind): `all` when none is asked; `notExcluded` when only exclusions are, and
 * scratch.excluded marks the failing providers; `region` or `country` when only regions or
 * only countries are; `marked` otherwise, and scratch.passing marks the passing providers.
 */
export const PASSING = { all: 0, notExcluded: 1, region: 2, country: 3, marked: 4 } as const;
const { all: PASS_ALL, notExcluded: PASS_NOT_EXCLUDED, region: PASS_REGION, country: PASS_COUNTRY, marked: PASS_MARKED } = PASSING;

export interface PassingProviders {
  /** One of PASSING. */
  kind: number;
  /** Providers to scan, in chunks, each provider once; null for every provider. */
  chunks: readonly ArrayLike<number>[] | null;
  /** Classes of passing providers. */
  classes: number;
  /** Of those, the classes with the requested arch (all of them when any arch will do). */
  withArch: number;
}

export function passProviders(cq: CompiledQuery, counts: Float64Array): PassingProviders {
  const ix = cq.ix;
  const arch = cq.arch;
  let excludedClasses = 0;
  let excludedWithArch = 0;
  for (const p of cq.excluded) {
    excludedClasses += ix.classCountOf(p);
    excludedWithArch += withArch(ix.providerArchCount, p, arch);
  }
  const start = startProviders(cq);
  if (start === null) {
    counts[PROVIDER]! += excludedClasses;
    return {
      kind: cq.excluded.length === 0 ? PASS_ALL : PASS_NOT_EXCLUDED,
      chunks: null,
      classes: ix.classCount - excludedClasses,
      withArch: (arch === -1 ? ix.classCount : ix.archTotal[arch]!) - excludedWithArch,
    };
  }
  const onlyRegions = start.rule === REGION && cq.countryOk === null && cq.imageProviders === null;
  const onlyCountries = start.rule === COUNTRY && cq.imageProviders === null;
  if (cq.excluded.length === 0 && (onlyRegions || onlyCountries)) {
    const archCounts = onlyRegions ? ix.regionArchCount : ix.countryArchCount;
    let classes = 0;
    let classesWithArch = 0;
    for (const g of onlyRegions ? cq.regions : cq.countries) {
      classes += withArch(archCounts, g, -1);
      classesWithArch += withArch(archCounts, g, arch);
    }
    counts[start.rule]! += ix.classCount - classes;
    return { kind: onlyRegions ? PASS_REGION : PASS_COUNTRY, chunks: start.chunks, classes, withArch: classesWithArch };
  }
  // Outside the start list a provider fails the start list's rule, unless it is excluded:
  // every rule before that one is either not asked for or is the exclusion.
  let startClasses = 0;
  for (const chunk of start.chunks) for (let i = 0; i < chunk.length; i++) startClasses += ix.classCountOf(chunk[i]!);
  let excludedOutside = 0;
  for (const p of cq.excluded) if (!inStart(cq, start.rule, p)) excludedOutside += ix.classCountOf(p);
  counts[PROVIDER]! += excludedOutside;
  counts[start.rule]! += ix.classCount - startClasses - excludedOutside;
  const marks = ix.scratch.passing;
  let classes = 0;
  let classesWithArch = 0;
  for (const chunk of start.chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const p = chunk[i]!;
      const rule = providerFailure(cq, p);
      if (rule !== PASS) {
        counts[rule]! += ix.classCountOf(p);
      } else {
        marks[p] = cq.generation;
        classes += ix.classCountOf(p);
        classesWithArch += withArch(ix.providerArchCount, p, arch);
      }
    }
  }
  return { kind: PASS_MARKED, chunks: start.chunks, classes, withArch: classesWithArch };
}

/** Classes of group i (a provider, region or country) with the arch, from counts laid out 2i + arch; −1 for any arch. */
function withArch(archCounts: Int32Array, i: number, arch: number): number {
  return arch === -1 ? archCounts[2 * i]! + archCounts[2 * i + 1]! : archCounts[2 * i + arch]!;
}

/** The shortest provider list the request names (in chunks, each provider once), with the rule it stands for. */
function startProviders(cq: CompiledQuery): { chunks: readonly ArrayLike<number>[]; rule: number } | null {
  const ix = cq.ix;
  if (cq.pinned !== null) return { chunks: [cq.pinned], rule: PROVIDER };
  if (cq.regionOk !== null) return { chunks: cq.regions.map((r) => ix.regionProviders[r]!), rule: REGION };
  if (cq.countryOk !== null) return { chunks: cq.countries.map((k) => ix.countryProviders[k]!), rule: COUNTRY };
  if (cq.imageProviders !== null) return { chunks: [cq.imageProviders], rule: IMAGE };
  return null;
}

/** Whether provider p is on the start list that stands for `rule`. */
function inStart(cq: CompiledQuery, rule: number, p: number): boolean {
  const { ix, generation } = cq;
  switch (rule) {
    case PROVIDER: return ix.scratch.pinned[p] === generation;
    case REGION: return cq.regionOk![ix.providerRegion[p]!] === 1;
    case COUNTRY: return cq.countryOk![ix.providerCountry[p]!] === 1;
    default: return ix.scratch.image[p] === generation;
  }
}

/** Whether provider p passes the provider-level rules, told the way `kind` says. */
export function providerPasses(cq: CompiledQuery, kind: number, p: number): boolean {
  const { ix, generation } = cq;
  switch (kind) {
    case PASS_NOT_EXCLUDED: return ix.scratch.excluded[p] !== generation;
    case PASS_REGION: return cq.regionOk![ix.providerRegion[p]!] === 1;
    case PASS_COUNTRY: return cq.countryOk![ix.providerCountry[p]!] === 1;
    case PASS_MARKED: return ix.scratch.passing[p] === generation;
    default: return true;
  }
}
