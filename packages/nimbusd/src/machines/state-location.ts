import { loadConfig } from '../config/load-config.ts';
import { resolveConfigPath } from '../config/config-path.ts';
import { stateDbPath } from '../state/database.ts';

/**
 * The state directory a machine command works on: `--state-dir` when given, else the
 * one the config names (`--config`, NIMBUSD_CONFIG, /etc/nimbus/nimbusd.toml), so an
 * operator who ran `nimbusd init --config …` needs only that one flag afterwards.
 */
export function resolveStateDir(flags: { config?: string | undefined; stateDir?: string | undefined }): string {
  if (flags.stateDir !== undefined) return flags.stateDir;
  return loadConfig(resolveConfigPath(flags.config)).stateDir;
}

export function stateDbOf(stateDir: string): string {
  return stateDbPath(stateDir);
}
