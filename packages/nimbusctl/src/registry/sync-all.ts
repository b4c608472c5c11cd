import { NimbusError } from '@nimbus/core';
import type { NimbusctlConfig } from '../config/config.ts';
import { syncRegistry, type SyncResult } from './git-registry.ts';
import { unknownRegistry } from './manage.ts';

export interface SyncFailure {
  name: string;
  code: string;
  message: string;
}

export interface SyncReport {
  synced: SyncResult[];
  failed: SyncFailure[];
}

/**
 * Syncs the named registries (all when `names` is empty), one after the other so
 * their progress reads in order; a failing registry does not stop the others.
 */
export async function syncRegistries(
  config: NimbusctlConfig,
  cacheDir: string,
  names: readonly string[],
  onResult: (r: SyncResult | SyncFailure) => void = () => {},
  onStart: (name: string) => void = () => {},
): Promise<SyncReport> {
  for (const name of names) {
    if (!config.registries.some((r) => r.name === name)) throw unknownRegistry(name, config.registries);
  }
  const refs = names.length ? config.registries.filter((r) => names.includes(r.name)) : config.registries;
  const report: SyncReport = { synced: [], failed: [] };
  for (const ref of refs) {
    onStart(ref.name);
    try {
      const result = await syncRegistry(ref, cacheDir);
      report.synced.push(result);
      onResult(result);
    } catch (err) {
      const failure = {
        name: ref.name,
        code: err instanceof NimbusError ? err.code : 'INTERNAL',
        message: err instanceof Error ? err.message : String(err),
      };
      report.failed.push(failure);
      onResult(failure);
    }
  }
  return report;
}
