import { Command, Errors, type Interfaces } from '@oclif/core';
import { NimbusError } from '@nimbus/core';

/** The separate problems of an error that carries several (bad settings, a bad config file). */
function problemLines(err: unknown): readonly string[] | undefined {
  const lines = (err as { lines?: unknown }).lines;
  return err instanceof NimbusError && Array.isArray(lines) && lines.every((l) => typeof l === 'string') ? (lines as string[]) : undefined;
}

/** Exit status of a run whose input was wrong: bad flags, unusable settings or secret files. */
export const EXIT_USAGE = 2;
/** Exit status of a run that could not do what was asked (the BMC refused, timed out, or failed). */
export const EXIT_FAILURE = 1;

const USAGE_CODES = new Set(['BMC_CONFIG', 'BMC_SECRET_FILE', 'CONFIG_INVALID', 'CONFIG_EXISTS', 'INVALID_REQUEST']);

/** The `--json` payload of a failed run; `problems` lists each settings problem when there are several. */
export interface ErrorJson {
  status: number;
  code: string;
  message: string;
  problems?: string[];
}

/**
 * Every nimbusd command: `--json`, and one mapping from error to exit status, to a
 * `{status, code, message}` JSON object, or to `error: …` lines on stderr.
 */
export abstract class BaseCommand<T> extends Command {
  static override enableJsonFlag = true;

  abstract override run(): Promise<T>;

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    process.exitCode = exitStatusOf(err);
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(err));
      return undefined;
    }
    const lines = problemLines(err);
    if (lines) {
      // Every problem on its own line, so all of them can be fixed in one go.
      for (const line of lines) this.logToStderr(`error: ${line}`);
      return undefined;
    }
    if (err instanceof NimbusError || err instanceof Errors.CLIError) {
      // Written for the user: one line, no stack, so it can be read in a journal or searched for.
      this.logToStderr(`error: ${userMessage(err)}`);
      return undefined;
    }
    return super.catch(err);
  }

  protected override toErrorJson(err: unknown): ErrorJson {
    const error = err as Partial<Interfaces.CommandError & NimbusError>;
    const json: ErrorJson = {
      status: exitStatusOf(err),
      code: error.code ?? (err instanceof Errors.CLIError ? 'USAGE' : 'INTERNAL'),
      message: err instanceof Error ? userMessage(err) : String(err),
    };
    const lines = problemLines(err);
    if (lines) json.problems = [...lines];
    return json;
  }
}

/**
 * oclif wraps parse errors in help text and line breaks; the error reads better as one line.
 * A mistyped flag is echoed with its value (`--password=…`), which may be a secret: drop the value.
 */
function userMessage(err: Error): string {
  return err.message
    .replace(/^Parsing --\S+ \n\t/, '')
    .replace(/\nSee more help with --help$/, '')
    .replace(/^The following errors? occurred:\s*/, '')
    .replace(/^(Nonexistent flags?: .*)$/m, (line) => line.replace(/(--?[\w-]+)=\S*/g, '$1=…'))
    .replace(/\s*\n\s*/g, '; ')
    .trim();
}

function exitStatusOf(err: unknown): number {
  if (err instanceof NimbusError) return USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_FAILURE;
  const oclifExit = (err as { oclif?: { exit?: number } }).oclif?.exit;
  return typeof oclifExit === 'number' ? oclifExit : EXIT_FAILURE;
}
