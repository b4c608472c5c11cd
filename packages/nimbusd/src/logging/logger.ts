/**
 * nimbusd's loggers: pino JSON lines to stdout (journald picks them up), with every key
 * that can carry a secret redacted before a line is written, and a silent logger for
 * libraries and long-lived objects that were given none.
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are secrets: BMC passwords, API tokens, the IPMI Kg key, SSH private keys, HTTP credentials. */
const SECRET_KEYS = ['password', 'passphrase', 'token', 'secret', 'kg', 'privateKey', 'private_key', 'authorization', 'cookie'];

/** pino redact paths for every secret key, at the top of a log object and one or two levels down, plus HTTP headers. */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

export const REDACTED = '[Redacted]';

export interface LoggerOptions {
  /** Lowest level written; `silent` writes nothing. */
  level: Level | 'silent';
  /** Where lines go; defaults to stdout. */
  destination?: DestinationStream;
  /** Added to every line as `name`; defaults to `nimbusd`. */
  name?: string;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name ?? 'nimbusd',
      level: options.level,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      // Numeric pino levels mean nothing to someone reading journalctl.
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing: the default of every object that takes one in its options. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
