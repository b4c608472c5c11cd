import { Args } from '@oclif/core';
import { formatProblem } from '@nimbus/core';
import { BaseCommand } from '../../base-command.ts';
import { validateRegistryPath, type ValidationReport } from '../../registry/validate-path.ts';

export default class RegistryValidate extends BaseCommand<ValidationReport> {
  static override summary = 'Check a registry checkout (or one provider file) against the provider schema.';
  static override description =
    'Prints one `path:line:col: message` line per problem and exits with status 1 when there is any. This is what a registry repository runs on every pull request.';
  static override examples = ['<%= config.bin %> registry validate', '<%= config.bin %> registry validate providers/acme.toml --json'];
  static override args = {
    path: Args.string({ default: '.', description: 'Registry folder (containing providers/) or a provider file.' }),
  };

  async run(): Promise<ValidationReport> {
    const { args } = await this.parse(RegistryValidate);
    const report = await validateRegistryPath(args.path);
    for (const problem of report.problems) this.log(formatProblem(problem));
    if (report.problems.length > 0) {
      process.exitCode = 1;
      this.logToStderr(`${report.problems.length} problems in ${new Set(report.problems.map((p) => p.file)).size} of ${report.files} files`);
    } else if (!this.jsonEnabled()) {
      this.logToStderr(`${report.files} provider files, no problems`);
    }
    return report;
  }
}
