import { CONFIG_PATH_ENV, DEFAULT_CONFIG_PATH } from './defaults.ts';

/** The config file to use: `--config`, else NIMBUSD_CONFIG, else /etc/nimbus/nimbusd.toml. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? (env[CONFIG_PATH_ENV] || DEFAULT_CONFIG_PATH);
}
