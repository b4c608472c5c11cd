import { Flags } from '@oclif/core';
import { formatProblem, type Problem } from '@nimbus/core';
import { BaseCommand } from '../cli/base-command.ts';
import { checkConfigFiles } from '../config/config-files.ts';
import { resolveConfigPath } from '../config/config-path.ts';
import { readConfig } from '../config/load-config.ts';

/** The `--json` payload: `ok` is false when there is any problem. */
export interface CheckConfigResult {
  file: string;
  ok: boolean;
  /** Problems in the file itself, at their line and column. */
  problems: Problem[];
  /** With --files: problems with the files the config names (host key, authorized_keys). */
  fileProblems: string[];
}

export default class CheckConfig extends BaseCommand<CheckConfigResult> {
  static override summary = "Check nimbusd's config file.";
  static override description =
    'Reads the config (--config, else NIMBUSD_CONFIG, else /etc/nimbus/nimbusd.toml), checks it against nimbusd.schema.json and prints one `path:line:col: message` line per problem, exiting with status 1 when there is any. The files it names are not looked at, so a config can be checked anywhere (in CI, before it is deployed); --files also checks them the way `nimbusd serve` reads them: the host key must exist, parse, and be readable by its owner only; authorized_keys files must be readable.';
  static override examples = [
    '<%= config.bin %> check-config',
    '<%= config.bin %> check-config --config ./nimbusd.toml --json',
    '<%= config.bin %> check-config --files',
  ];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'Config file. Defaults to NIMBUSD_CONFIG, then /etc/nimbus/nimbusd.toml.' }),
    files: Flags.boolean({ description: 'Also check the files the config names (host key, authorized_keys), as `nimbusd serve` will.' }),
  };

  async run(): Promise<CheckConfigResult> {
    const { flags } = await this.parse(CheckConfig);
    const file = resolveConfigPath(flags.config);
    const parsed = readConfig(file);
    const fileProblems = parsed.ok && flags.files ? checkConfigFiles(parsed.config) : [];
    const result: CheckConfigResult = { file, ok: parsed.ok && fileProblems.length === 0, problems: parsed.problems, fileProblems };

    for (const problem of parsed.problems) this.log(formatProblem(problem));
    for (const line of fileProblems) this.log(`${file}: ${line}`);
    if (!result.ok) {
      process.exitCode = 1;
      const count = parsed.problems.length + fileProblems.length;
      this.logToStderr(`${count} ${count === 1 ? 'problem' : 'problems'} in ${file}`);
    } else if (parsed.ok) {
      const { config } = parsed;
      this.log(`${file}: ok (provider ${config.provider.id}, state ${config.stateDir}, tenants ${config.tenants.policy}${flags.files ? ', files checked' : ''})`);
    }
    return result;
  }
}
