import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { describeConflict, loadCatalog } from '../../registry/catalog.ts';
import { listProviders, type ProviderSummary } from '../../providers/summary.ts';
import { renderTable } from '@nimbus/core';

export default class ProvidersList extends BaseCommand<ProviderSummary[]> {
  static override summary = 'List the providers of the synced registries.';
  static override examples = [
    '<%= config.bin %> providers list --region eu-central',
    '<%= config.bin %> providers list --gpu h100 --json',
  ];
  static override flags = {
    region: Flags.string({ multiple: true, description: 'Only providers in this region (repeatable).' }),
    country: Flags.string({ multiple: true, description: 'Only providers in this country, ISO code (repeatable).' }),
    arch: Flags.option({ options: ['x86_64', 'arm64'] as const, description: 'Only providers with machines of this architecture.' })(),
    gpu: Flags.string({ description: 'Only providers with this GPU model (part of the name, e.g. h100), or "any".' }),
    tag: Flags.string({ multiple: true, description: 'Only providers with a machine class carrying every tag.' }),
    image: Flags.string({ description: 'Only providers offering this image.' }),
  };

  async run(): Promise<ProviderSummary[]> {
    const { flags } = await this.parse(ProvidersList);
    const catalog = loadCatalog(await this.loadConfig(), this.paths.registryCacheDir);
    for (const conflict of catalog.conflicts) this.note(describeConflict(conflict));
    if (catalog.problems.length > 0) {
      this.note(`${catalog.problems.length} problems in the registries leave some provider files out; see nimbusctl registry list`);
    }
    const rows = listProviders(catalog.providers, {
      ...flags,
      country: flags.country?.map((c) => c.toUpperCase()),
    });
    if (rows.length === 0) {
      this.log('No provider matches.');
      return rows;
    }
    this.log(
      renderTable(
        ['ID', 'REGION', 'COUNTRY', 'MACHINES', 'ARCH', 'GPU', 'FROM/H', 'POLICY', 'NAME'],
        rows.map((r) => [
          r.id,
          r.region,
          r.country,
          String(r.machines),
          r.arches.join(','),
          r.gpus.join(', ') || '-',
          `${r.minPricePerHour.toFixed(2)} ${r.currency}`,
          r.policy,
          r.name,
        ]),
      ),
    );
    return rows;
  }
}
