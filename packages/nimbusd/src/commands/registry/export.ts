import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.ts';
import { resolveConfigPath } from '../../config/config-path.ts';
import { loadConfig } from '../../config/load-config.ts';
import { collectHostInventory } from '../../inventory/collect.ts';
import { exportProvider, type ExportResult } from '../../registry-export/export-provider.ts';

export default class RegistryExport extends BaseCommand<ExportResult> {
  static override summary = "Print this provider's registry file (providers/<id>.toml).";
  static override description =
    "Built from the config ([provider], [api] advertise or listen, the host key's fingerprint) and the enrolled machines, one machine class per --class with its count. A class is described from --classes FILE (JSON: class id → {arch, cpu, memory_gib, disks, nics, gpus?, tags?, price_per_hour?}); until machines are inspected in band, a class without an entry there is described from this host's own inventory only with --describe-from-host, and otherwise the export is refused naming the class. The file is checked against the registry schema before it is printed.";
  static override examples = [
    '<%= config.bin %> registry export --price-per-hour 1.20 --classes ./classes.json > providers/acme-fra1.toml',
    '<%= config.bin %> registry export --describe-from-host --price-per-hour 0.80',
  ];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'Config file. Defaults to NIMBUSD_CONFIG, then /etc/nimbus/nimbusd.toml.' }),
    'price-per-hour': Flags.string({ description: "Price of one machine for one hour, in [provider] currency, for classes whose description has none." }),
    classes: Flags.string({ description: 'JSON file describing the machine classes, by class id.' }),
    'describe-from-host': Flags.boolean({ description: "Describe classes that --classes does not with this host's own inventory." }),
  };

  async run(): Promise<ExportResult> {
    const { flags } = await this.parse(RegistryExport);
    const price = flags['price-per-hour'] === undefined ? undefined : Number(flags['price-per-hour']);
    if (price !== undefined && !(Number.isFinite(price) && price >= 0)) this.error(`--price-per-hour ${JSON.stringify(flags['price-per-hour'])} is not a price (a number ≥ 0)`, { exit: 2 });
    const result = await exportProvider({
      config: loadConfig(resolveConfigPath(flags.config)),
      ...(flags.classes === undefined ? {} : { classesFile: flags.classes }),
      ...(price === undefined ? {} : { pricePerHour: price }),
      ...(flags['describe-from-host'] ? { collectInventory: () => collectHostInventory() } : {}),
    });
    if (!this.jsonEnabled()) process.stdout.write(result.toml);
    return result;
  }
}
