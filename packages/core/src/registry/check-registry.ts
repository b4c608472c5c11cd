/**
 * Registry-wide rules, over all parsed files at once, and loading a whole registry.
 */
import type { Provider } from '../provider.ts';
import { parseProviderFile, type ParsedProvider, type ProviderSource } from './parse-provider-file.ts';
import { fileProblem, type Problem } from './problem.ts';

/**
 * One provider id, one file. A later file with an id already seen (possible across
 * merged registries, or with file names that differ only in case) is reported, naming
 * the first; the first one keeps its place. Files with problems of their own have no
 * Provider and take no part. The problem is on the whole file: `parsed` carries no text
 * to find the id's line in.
 */
export function checkRegistry(parsed: readonly ParsedProvider[]): Problem[] {
  return duplicateProviders(parsed).map((d) => d.problem);
}

/**
 * Parses every source and applies the registry-wide rules. `providers` holds the
 * providers with no problem at all, sorted by id; `problems` holds every problem, per
 * file in source order, files in the order given, registry-wide problems last.
 */
export function loadRegistry(sources: readonly ProviderSource[]): { providers: Provider[]; problems: Problem[] } {
  const parsed = sources.map((source) => parseProviderFile(source));
  const duplicates = duplicateProviders(parsed);
  // By index, not path: merged registries can hold the same path twice.
  const rejected = new Set(duplicates.map((d) => d.index));
  const providers: Provider[] = [];
  parsed.forEach((p, index) => {
    if (p.provider && !rejected.has(index)) providers.push(p.provider);
  });
  providers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { providers, problems: [...parsed.flatMap((p) => p.problems), ...duplicates.map((d) => d.problem)] };
}

function duplicateProviders(parsed: readonly ParsedProvider[]): { index: number; problem: Problem }[] {
  const firstFileById = new Map<string, string>();
  const found: { index: number; problem: Problem }[] = [];
  parsed.forEach(({ path, provider }, index) => {
    if (!provider) return;
    const first = firstFileById.get(provider.id);
    if (first === undefined) {
      firstFileById.set(provider.id, path);
      return;
    }
    const message = `provider id ${JSON.stringify(provider.id)} is already defined in ${first}; each provider has exactly one file`;
    found.push({ index, problem: fileProblem(path, 'duplicate-provider', message) });
  });
  return found;
}
