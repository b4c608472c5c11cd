import { Flags } from '@oclif/core';
import { InvalidRequestError } from '@nimbus/core';
import { BaseCommand } from '../base-command.ts';
import { planPlacement, type Plan } from '../plan/plan.ts';
import { requestFromFlags } from '../plan/request-from-flags.ts';
import { renderAssignments, renderCandidates, renderExplanation } from '../plan/render-plan.ts';
import { describeConflict, loadCatalog } from '../registry/catalog.ts';

export default class PlanCommand extends BaseCommand<Plan> {
  static override summary = 'Show where a request would be placed: ranked candidates with their score terms.';
  static override description =
    'A dry run of placement over the synced registries. --explain also lists every machine class that was turned down and the first rule that turned it down, and, when nothing fits, the closest misses. The registry is discovery data: the provider confirms what is free when an instance is created.';
  static override examples = [
    '<%= config.bin %> plan --arch x86_64 --cores 16 --memory 64 --disk-type nvme --explain',
    '<%= config.bin %> plan --gpu h100 --gpu-count 8 --region us-east --max-price 40 --currency USD',
    '<%= config.bin %> plan --arch arm64 --cores 64 --count 3 --json',
  ];
  static override flags = {
    arch: Flags.option({ options: ['x86_64', 'arm64'] as const, description: 'CPU architecture.' })(),
    cores: Flags.integer({ min: 1, description: 'At least this many physical cores.' }),
    threads: Flags.integer({ min: 1, description: 'At least this many hardware threads.' }),
    memory: Flags.integer({ min: 1, description: 'At least this much memory, GiB.' }),
    'disk-type': Flags.option({ options: ['nvme', 'ssd', 'hdd'] as const, description: 'Local disks of exactly this type.' })(),
    'disk-size': Flags.integer({ min: 1, description: 'At least this much local disk in total (of --disk-type, if given), GB.' }),
    gpu: Flags.string({ description: 'GPU model, part of its name (e.g. a100, h100), or "any".' }),
    'gpu-count': Flags.integer({ min: 1, description: 'At least this many matching GPUs (implies --gpu any).' }),
    'gpu-memory': Flags.integer({ min: 1, description: 'At least this much memory per GPU, GiB (implies --gpu any).' }),
    region: Flags.string({ multiple: true, description: 'Any of these regions (repeatable).' }),
    country: Flags.string({ multiple: true, description: 'Any of these countries, ISO code (repeatable).' }),
    image: Flags.string({ description: 'An image the provider must offer.' }),
    'max-price': Flags.custom<number>({
      description: 'Highest price per machine-hour, in --currency.',
      parse: async (input) => {
        const value = Number(input);
        if (input.trim() === '' || !Number.isFinite(value) || value < 0) throw new InvalidRequestError(`--max-price must be a number ≥ 0, got "${input}"`);
        return value;
      },
    })(),
    currency: Flags.string({ description: 'Currency of --max-price and of price ranking (default: config placement.currency, else USD).' }),
    tag: Flags.string({ multiple: true, description: 'Machine class must carry this tag (repeatable).' }),
    provider: Flags.string({ multiple: true, description: 'Only this provider (repeatable).' }),
    exclude: Flags.string({ multiple: true, description: 'Never this provider (repeatable).' }),
    count: Flags.integer({ min: 1, default: 1, description: 'Machines wanted.' }),
    spread: Flags.boolean({ allowNo: true, description: 'Spread machines across providers when --count > 1 (default on).' }),
    limit: Flags.integer({ min: 1, description: 'Most candidates shown (default 10).' }),
    explain: Flags.boolean({ description: 'Also show every rejected machine class and why.' }),
  };

  async run(): Promise<Plan> {
    const { flags } = await this.parse(PlanCommand);
    const config = await this.loadConfig();
    const catalog = loadCatalog(config, this.paths.registryCacheDir);
    for (const conflict of catalog.conflicts) this.note(describeConflict(conflict));
    const plan = planPlacement(catalog, config, requestFromFlags(flags));
    const { result } = plan;
    if (!this.jsonEnabled()) {
      this.log(renderCandidates(result));
      this.log('');
      this.log(renderAssignments(result, flags.count));
      if (flags.explain) {
        this.log('');
        this.log(renderExplanation(result));
      } else if (result.candidates.length === 0) {
        this.log('Run with --explain to see why each machine class was turned down and the closest misses.');
      }
    }
    if (result.unsatisfied) process.exitCode = 1;
    return plan;
  }
}
