import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import type { RegistryRef } from '../../config/config.ts';
import { addRegistry } from '../../registry/manage.ts';
import { redactUrl } from '../../registry/redact.ts';

export default class RegistryAdd extends BaseCommand<RegistryRef> {
  static override summary = 'Follow a provider registry (a Git repository of providers/*.toml).';
  static override examples = [
    '<%= config.bin %> registry add public https://github.com/example/nimbus-registry.git',
    '<%= config.bin %> registry add lab /srv/git/registry.git',
  ];
  static override args = {
    name: Args.string({ required: true, description: 'Local name of the registry (its cache folder).' }),
    url: Args.string({ required: true, description: 'Git URL or path of the registry repository.' }),
  };

  async run(): Promise<RegistryRef> {
    const { args } = await this.parse(RegistryAdd);
    const ref = await addRegistry(this.paths.configFile, args.name, args.url);
    this.log(`Added registry ${ref.name} (${redactUrl(ref.url)}). Fetch it with: nimbusctl registry sync ${ref.name}`);
    return ref;
  }
}
