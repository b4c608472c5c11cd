import { NimbusError } from '@nimbus/core';

/** The config file cannot be used: unreadable, not TOML, or not what the schema allows. */
export class ConfigInvalidError extends NimbusError {
  readonly code = 'CONFIG_INVALID';
  /** Every problem as `file:line:col: message`, so all of them can be fixed in one go. */
  readonly lines: readonly string[];

  constructor(file: string, lines: readonly string[]) {
    super(lines.length === 1 ? lines[0]! : `${lines.length} problems in ${file}: ${lines.join('; ')}`);
    this.lines = lines;
  }
}

/** `nimbusd init` would overwrite a config file and was not told to. */
export class ConfigExistsError extends NimbusError {
  readonly code = 'CONFIG_EXISTS';
}

/** The SSH host key file exists but is not a usable private key, or cannot be written. */
export class HostKeyError extends NimbusError {
  readonly code = 'HOST_KEY';
}
