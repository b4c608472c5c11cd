import { existsSync } from 'node:fs';
import { checkRegistry, type Problem, type Provider } from '@nimbus/core';
import type { NimbusctlConfig } from '../config/config.ts';
import { RegistryNeverSyncedError } from '../errors.ts';
import { indexPath } from './git-registry.ts';
import { ParseIndex } from './parse-index.ts';

export interface RegistryStatus {
  name: string;
  url: string;
  /** Undefined when the registry was never synced. */
  commit?: string;
  syncedAt?: string;
  providers: number;
  problems: number;
}

/** A problem found in one registry's files; `file` is relative to that registry. */
export interface RegistryProblem extends Problem {
  registry: string;
}

export interface CatalogProvider {
  registry: string;
  provider: Provider;
}

/** The same provider id offered by more than one registry: the first one in the config is used. */
export interface ProviderConflict {
  id: string;
  registries: string[];
  used: string;
}

/** Every provider of every synced registry, merged in config order. */
export interface Catalog {
  providers: CatalogProvider[];
  problems: RegistryProblem[];
  conflicts: ProviderConflict[];
  registries: RegistryStatus[];
}

/**
 * Reads the parse indexes of the configured registries (no TOML is parsed here;
 * `registry sync` did that) and merges their providers. Registries never synced
 * have no commit in their status.
 */
export function readCatalog(config: NimbusctlConfig, cacheDir: string): Catalog {
  const catalog: Catalog = { providers: [], problems: [], conflicts: [], registries: [] };
  const firstSeen = new Map<string, CatalogProvider>();
  for (const ref of config.registries) {
    const status: RegistryStatus = { name: ref.name, url: ref.url, providers: 0, problems: 0 };
    catalog.registries.push(status);
    const file = indexPath(cacheDir, ref.name);
    if (!existsSync(file)) continue;
    const index = new ParseIndex(file);
    try {
      const meta = index.meta();
      if (meta.commit === undefined || meta.url !== ref.url) continue;
      status.commit = meta.commit;
      if (meta.syncedAt !== undefined) status.syncedAt = meta.syncedAt;
      const entries = index.entries();
      const problems = [...entries.flatMap((e) => e.problems), ...checkRegistry(entries)];
      const broken = new Set(problems.map((p) => p.file));
      catalog.problems.push(...problems.map((p) => ({ ...p, registry: ref.name })));
      status.problems = problems.length;
      for (const entry of entries) {
        if (!entry.provider || broken.has(entry.path)) continue;
        status.providers++;
        const seen = firstSeen.get(entry.provider.id);
        if (seen) {
          const conflict = catalog.conflicts.find((c) => c.id === entry.provider!.id);
          if (conflict) conflict.registries.push(ref.name);
          else catalog.conflicts.push({ id: entry.provider.id, registries: [seen.registry, ref.name], used: seen.registry });
          continue;
        }
        const item = { registry: ref.name, provider: entry.provider };
        firstSeen.set(entry.provider.id, item);
        catalog.providers.push(item);
      }
    } finally {
      index.close();
    }
  }
  catalog.providers.sort((a, b) => (a.provider.id < b.provider.id ? -1 : a.provider.id > b.provider.id ? 1 : 0));
  return catalog;
}

export function registryStatuses(config: NimbusctlConfig, cacheDir: string): RegistryStatus[] {
  return readCatalog(config, cacheDir).registries;
}

/** Like readCatalog, but a catalog with no synced registry is an error that says what to run. */
export function loadCatalog(config: NimbusctlConfig, cacheDir: string): Catalog {
  const catalog = readCatalog(config, cacheDir);
  if (!catalog.registries.some((r) => r.commit !== undefined)) {
    throw new RegistryNeverSyncedError(
      config.registries.length === 0
        ? 'no registry is configured: add one with `nimbusctl registry add NAME URL`, then run `nimbusctl registry sync`'
        : `no registry has been synced yet (${config.registries.map((r) => r.name).join(', ')}): run \`nimbusctl registry sync\``,
    );
  }
  return catalog;
}

/** One line per conflict, for warnings. */
export function describeConflict(c: ProviderConflict): string {
  return `provider "${c.id}" is in registries ${c.registries.join(' and ')}; using the one from ${c.used} (first in the config)`;
}
