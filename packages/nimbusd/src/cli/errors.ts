import { NimbusError } from '@nimbus/core';
import type { ConfigProblem } from '../bmc/driver.ts';

/** A secret file (`--password-file`, `--kg-file`) that cannot be used: missing, unreadable, or readable by others. */
export class SecretFileError extends NimbusError {
  readonly code = 'BMC_SECRET_FILE';
}

/** The BMC settings given on the command line are not usable; found before any network call. */
export class BmcSettingsError extends NimbusError {
  readonly code = 'BMC_CONFIG';
  /** Every problem, each naming the flag (or variable) to fix. */
  readonly problems: readonly ConfigProblem[];
  /** One line per problem, already phrased for the user. */
  readonly lines: readonly string[];

  constructor(problems: readonly ConfigProblem[], lines: readonly string[]) {
    super(lines.length === 1 ? lines[0]! : `${lines.length} problems with the BMC settings: ${lines.join('; ')}`);
    this.problems = problems;
    this.lines = lines;
  }
}
