import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where nimbusctl keeps its files, after the XDG base directory specification. */
export interface NimbusPaths {
  /** `$XDG_CONFIG_HOME/nimbus/config.toml` */
  configFile: string;
  /** `$XDG_CACHE_HOME/nimbus/registry`: one Git clone (and one parse index) per registry. */
  registryCacheDir: string;
  /** `$XDG_STATE_HOME/nimbus`: the user's own records (instances, later). */
  stateDir: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function xdg(env: Env, name: string, fallback: string): string {
  const value = env[name];
  // The spec says relative paths are invalid and must be ignored.
  return value && value.startsWith('/') ? value : join(env.HOME || homedir(), fallback);
}

export function nimbusPaths(env: Env = process.env): NimbusPaths {
  return {
    configFile: join(xdg(env, 'XDG_CONFIG_HOME', '.config'), 'nimbus', 'config.toml'),
    registryCacheDir: join(xdg(env, 'XDG_CACHE_HOME', '.cache'), 'nimbus', 'registry'),
    stateDir: join(xdg(env, 'XDG_STATE_HOME', '.local/state'), 'nimbus'),
  };
}
