import { Args } from '@oclif/core';
import type { Provider } from '@nimbus/core';
import { BaseCommand } from '../../base-command.ts';
import { ProviderNotFoundError } from '../../errors.ts';
import { loadCatalog } from '../../registry/catalog.ts';
import { renderProvider } from '../../render/provider.ts';

export interface ProviderShowResult {
  registry: string;
  provider: Provider;
}

export default class ProvidersShow extends BaseCommand<ProviderShowResult> {
  static override summary = "Show one provider's full entry: location, endpoint, policy, machine classes.";
  static override args = {
    id: Args.string({ required: true, description: 'Provider id.' }),
  };

  async run(): Promise<ProviderShowResult> {
    const { args } = await this.parse(ProvidersShow);
    const catalog = loadCatalog(await this.loadConfig(), this.paths.registryCacheDir);
    const found = catalog.providers.find((p) => p.provider.id === args.id);
    if (!found) {
      const near = catalog.providers.map((p) => p.provider.id).filter((id) => id.includes(args.id) || args.id.includes(id));
      const hint = near.length ? `; did you mean ${near.join(', ')}?` : '; see nimbusctl providers list';
      throw new ProviderNotFoundError(`no provider "${args.id}" in the synced registries${hint}`);
    }
    this.log(renderProvider(found.provider, found.registry));
    return { registry: found.registry, provider: found.provider };
  }
}
