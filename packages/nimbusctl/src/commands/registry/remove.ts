import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import type { RegistryRef } from '../../config/config.ts';
import { removeRegistry } from '../../registry/manage.ts';

export default class RegistryRemove extends BaseCommand<RegistryRef> {
  static override summary = 'Stop following a registry and delete its cache.';
  static override args = {
    name: Args.string({ required: true, description: 'Name given to `registry add`.' }),
  };

  async run(): Promise<RegistryRef> {
    const { args } = await this.parse(RegistryRemove);
    const ref = await removeRegistry(this.paths.configFile, this.paths.registryCacheDir, args.name);
    this.log(`Removed registry ${ref.name} and its cache.`);
    return ref;
  }
}
