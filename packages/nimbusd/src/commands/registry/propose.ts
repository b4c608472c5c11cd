import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.ts';
import { resolveConfigPath } from '../../config/config-path.ts';
import { loadConfig } from '../../config/load-config.ts';
import { collectHostInventory } from '../../inventory/collect.ts';
import { exportProvider } from '../../registry-export/export-provider.ts';
import { proposeProviderFile, type ProposeResult } from '../../registry-export/propose.ts';

export default class RegistryPropose extends BaseCommand<ProposeResult> {
  static override summary = "Push this provider's registry file on a new branch of the registry repo, for a pull request.";
  static override description =
    "Exports providers/<id>.toml as `nimbusd registry export` does (same flags), clones --repo's --base branch into a temporary directory, writes the file on a new branch, commits it and pushes the branch to the repo; then prints the branch name. When the base branch already holds the same file, nothing is committed or pushed. The branch is never forced over an existing one.";
  static override examples = [
    '<%= config.bin %> registry propose --repo git@github.com:example/nimbus-registry.git --classes ./classes.json --price-per-hour 1.20',
    '<%= config.bin %> registry propose --repo https://git.example.org/registry.git --branch acme-fra1-more-machines --author-name "Acme Ops" --author-email ops@acme.example',
  ];
  static override flags = {
    repo: Flags.string({ description: 'The registry repository to clone and push to (any URL or path git accepts).', required: true }),
    base: Flags.string({ description: 'Branch to start from and compare with.', default: 'main' }),
    branch: Flags.string({ description: 'Name of the new branch. Defaults to provider/<id>-<YYYYMMDD-HHMMSS> (UTC).' }),
    'author-name': Flags.string({ description: 'Commit author name. Defaults to nimbusd.' }),
    'author-email': Flags.string({ description: 'Commit author email. Defaults to nimbusd@<provider id>.' }),
    config: Flags.string({ char: 'c', description: 'Config file. Defaults to NIMBUSD_CONFIG, then /etc/nimbus/nimbusd.toml.' }),
    'price-per-hour': Flags.string({ description: "Price of one machine for one hour, in [provider] currency, for classes whose description has none." }),
    classes: Flags.string({ description: 'JSON file describing the machine classes, by class id.' }),
    'describe-from-host': Flags.boolean({ description: "Describe classes that --classes does not with this host's own inventory." }),
  };

  async run(): Promise<ProposeResult> {
    const { flags } = await this.parse(RegistryPropose);
    const price = flags['price-per-hour'] === undefined ? undefined : Number(flags['price-per-hour']);
    if (price !== undefined && !(Number.isFinite(price) && price >= 0)) this.error(`--price-per-hour ${JSON.stringify(flags['price-per-hour'])} is not a price (a number ≥ 0)`, { exit: 2 });
    const exported = await exportProvider({
      config: loadConfig(resolveConfigPath(flags.config)),
      ...(flags.classes === undefined ? {} : { classesFile: flags.classes }),
      ...(price === undefined ? {} : { pricePerHour: price }),
      ...(flags['describe-from-host'] ? { collectInventory: () => collectHostInventory() } : {}),
    });
    const providerId = exported.provider.id;
    const result = await proposeProviderFile({
      repo: flags.repo,
      providerId,
      path: exported.path,
      toml: exported.toml,
      base: flags.base,
      ...(flags.branch === undefined ? {} : { branch: flags.branch }),
      ...(flags['author-name'] === undefined && flags['author-email'] === undefined
        ? {}
        : { author: { name: flags['author-name'] ?? 'nimbusd', email: flags['author-email'] ?? `nimbusd@${providerId}` } }),
      now: () => new Date(),
    });
    if (!this.jsonEnabled()) {
      if (result.branch === null) this.logToStderr(`${exported.path} is unchanged on ${flags.base}; nothing pushed`);
      else process.stdout.write(`${result.branch}\n`);
    }
    return result;
  }
}
