import { BaseCommand } from '../../base-command.ts';
import { formatAge } from '../../registry/age.ts';
import { registryStatuses } from '../../registry/catalog.ts';
import type { RegistryStatus } from '../../registry/catalog.ts';
import { redactUrl } from '../../registry/redact.ts';
import { renderTable } from '@nimbus/core';

export default class RegistryList extends BaseCommand<RegistryStatus[]> {
  static override summary = 'List the registries you follow and when each was last synced.';

  async run(): Promise<RegistryStatus[]> {
    await this.parse(RegistryList);
    const statuses = registryStatuses(await this.loadConfig(), this.paths.registryCacheDir);
    if (statuses.length === 0) {
      this.log('No registry yet. Add one with: nimbusctl registry add NAME URL');
      return statuses;
    }
    const now = Date.now();
    this.log(
      renderTable(
        ['NAME', 'PROVIDERS', 'PROBLEMS', 'SYNCED', 'URL'],
        statuses.map((s) => [
          s.name,
          String(s.providers),
          String(s.problems),
          s.syncedAt ? `${formatAge(now - Date.parse(s.syncedAt))} ago` : 'never',
          redactUrl(s.url),
        ]),
      ),
    );
    return statuses;
  }
}
