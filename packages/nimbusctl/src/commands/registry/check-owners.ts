import { Flags } from '@oclif/core';
import { formatProblem } from '@nimbus/core';
import { BaseCommand } from '../../base-command.ts';
import { checkPullRequestOwners, type OwnershipReport } from '../../registry/owners.ts';

export default class RegistryCheckOwners extends BaseCommand<OwnershipReport> {
  static override summary = "Check that a pull request only touches its author's provider files.";
  static override description =
    'Compares HEAD with the merge base of --base. A provider file may be changed only by a GitHub login in its `owners`, as the file is on the base branch; a new file must list its author. Files outside providers/ belong to the registry maintainers.';
  static override examples = ['<%= config.bin %> registry check-owners --base origin/main --author octocat'];
  static override flags = {
    base: Flags.string({ required: true, description: 'The branch the pull request targets, e.g. origin/main.' }),
    author: Flags.string({ required: true, description: "The pull request author's GitHub login." }),
    repo: Flags.string({ default: '.', description: 'The registry checkout.' }),
  };

  async run(): Promise<OwnershipReport> {
    const { flags } = await this.parse(RegistryCheckOwners);
    const report = await checkPullRequestOwners(flags.repo, flags.base, flags.author);
    for (const problem of report.problems) this.log(formatProblem(problem));
    if (report.problems.length > 0) process.exitCode = 1;
    else if (!this.jsonEnabled()) this.logToStderr(`${report.changed.length} changed files, all owned by ${flags.author}`);
    return report;
  }
}
