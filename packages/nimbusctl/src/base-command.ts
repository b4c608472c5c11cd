import { Command, Errors, type Interfaces } from '@oclif/core';
import { NimbusError } from '@nimbus/core';
import { readConfig, type NimbusctlConfig } from './config/config.ts';
import { nimbusPaths, type NimbusPaths } from './config/paths.ts';

/** Exit status of a run whose input or request was wrong (bad flags, bad config). */
export const EXIT_USAGE = 2;
/** Exit status of a run that found problems or could not do what was asked. */
export const EXIT_FAILURE = 1;

const USAGE_CODES = new Set(['CONFIG_INVALID', 'INVALID_REQUEST']);

/** The `--json` payload of a failed run. */
export interface ErrorJson {
  status: number;
  code: string;
  message: string;
}

/**
 * Every nimbusctl command: `--json`, the user's paths and config, and one mapping
 * from error to exit status and JSON error object.
 */
export abstract class BaseCommand<T> extends Command {
  static override enableJsonFlag = true;

  protected paths: NimbusPaths = nimbusPaths();

  abstract override run(): Promise<T>;

  protected loadConfig(): Promise<NimbusctlConfig> {
    return readConfig(this.paths.configFile);
  }

  /** A warning on stderr that `--json` output does not mix with. */
  protected note(message: string): void {
    this.logToStderr(`warning: ${message}`);
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    const status = exitStatusOf(err);
    process.exitCode = status;
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(err));
      return undefined;
    }
    if (err instanceof NimbusError) {
      // A NimbusError's message is written for the user: one unwrapped line, no stack,
      // so it can be read in a log or pasted into a search.
      this.logToStderr(`error: ${userMessage(err)}`);
      return undefined;
    }
    return super.catch(err);
  }

  protected override toErrorJson(err: unknown): ErrorJson {
    const error = err as Partial<Interfaces.CommandError & NimbusError>;
    return {
      status: exitStatusOf(err),
      code: error.code ?? (err instanceof Errors.CLIError ? 'USAGE' : 'INTERNAL'),
      message: err instanceof Error ? userMessage(err) : String(err),
    };
  }
}

/** oclif wraps an error thrown while parsing a flag's value in help text; the error says it better alone. */
function userMessage(err: Error): string {
  return err.message.replace(/^Parsing --\S+ \n\t/, '').replace(/\nSee more help with --help$/, '');
}

function exitStatusOf(err: unknown): number {
  if (err instanceof NimbusError) return USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_FAILURE;
  const oclifExit = (err as { oclif?: { exit?: number } }).oclif?.exit;
  return typeof oclifExit === 'number' ? oclifExit : EXIT_FAILURE;
}
