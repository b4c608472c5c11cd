import { Args, ux } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { RegistryNotFoundError } from '../../errors.ts';
import type { SyncResult } from '../../registry/git-registry.ts';
import { syncRegistries, type SyncFailure, type SyncReport } from '../../registry/sync-all.ts';

export default class RegistrySync extends BaseCommand<SyncReport> {
  static override summary = 'Fetch the registries you follow; only changed provider files are re-parsed.';
  static override description =
    'When a remote cannot be reached, its cached copy stays in use and a warning says how old it is.';
  static override strict = false;
  static override args = {
    name: Args.string({ required: false, description: 'Registries to sync (default: all).' }),
  };

  async run(): Promise<SyncReport> {
    const { argv } = await this.parse(RegistrySync);
    const config = await this.loadConfig();
    if (config.registries.length === 0) {
      throw new RegistryNotFoundError('no registry is configured yet; add one with: nimbusctl registry add NAME URL');
    }
    // A spinner only for a person at a terminal; pipes and --json get the result lines alone.
    const progress = process.stderr.isTTY && !this.jsonEnabled();
    const report = await syncRegistries(
      config,
      this.paths.registryCacheDir,
      argv as string[],
      (r) => {
        if (progress) ux.action.stop('code' in r ? 'failed' : r.status);
        this.show(r);
      },
      (name) => {
        if (progress) ux.action.start(`Syncing registry ${name}`);
      },
    );
    if (report.failed.length > 0) process.exitCode = 1;
    return report;
  }

  private show(r: SyncResult | SyncFailure): void {
    if ('code' in r) {
      this.logToStderr(`error: ${r.message}`);
      return;
    }
    if (r.warning) this.note(r.warning);
    const commit = r.commit.slice(0, 12);
    const detail =
      r.status === 'cloned'
        ? `cloned at ${commit}, ${r.reparsed.length} provider files parsed`
        : r.status === 'updated'
          ? `updated to ${commit}, ${r.reparsed.length} changed and ${r.removed.length} removed provider files`
          : r.status === 'unchanged'
            ? `up to date at ${commit}`
            : `offline, using the cache at ${commit}`;
    this.log(`${r.name}: ${detail}`);
  }
}
