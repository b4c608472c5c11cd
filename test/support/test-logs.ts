/**
 * Where tests write the logs of the programs they run (daemons, CLIs), so that after a
 * run one check can search them all for secrets (scripts/check-logs-for-secrets.mjs):
 * `$NIMBUS_TEST_LOG_DIR`, else `.cache/test-logs/` in the repository. A test names its
 * files after itself, so a new run replaces the old run's files instead of piling up.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_LOG_DIR_ENV = 'NIMBUS_TEST_LOG_DIR';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The directory test logs go to (see the module comment); not created here. */
export function testLogDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[TEST_LOG_DIR_ENV];
  return configured !== undefined && configured !== '' ? resolve(configured) : join(REPO_ROOT, '.cache', 'test-logs');
}

/** The path of a log file under testLogDir(), e.g. `testLogPath('crash-safety', 'daemon.log')`; its directory is created. */
export function testLogPath(...parts: string[]): string {
  const path = join(testLogDir(), ...parts);
  mkdirSync(dirname(path), { recursive: true });
  return path;
}
