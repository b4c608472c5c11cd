/** What the `instance` commands share: flags, the record, the connector, and how rows read. */
import { Flags } from '@oclif/core';
import type { NimbusPaths } from '../config/paths.ts';
import { formatAge } from '../registry/age.ts';
import { InstanceBook, instancesFile } from './book.ts';
import { nimbusdConnector, type ProviderConnector } from './provider-api.ts';

export const identityFlag = Flags.string({
  description: 'Private key to authenticate to the provider with (default: the one the instance was created with).',
});

export const timeoutFlag = (defaultMs: number) =>
  Flags.integer({ min: 1, default: Math.round(defaultMs / 1000), description: 'Seconds to wait for a provider to answer.' });

/** `--identity` and `--timeout` as openInstance takes them. */
export function sessionOptions(flags: { identity?: string | undefined; timeout: number }): { identity?: string; timeoutMs: number } {
  return { ...(flags.identity === undefined ? {} : { identity: flags.identity }), timeoutMs: flags.timeout * 1000 };
}

export function openBook(paths: NimbusPaths): InstanceBook {
  return new InstanceBook(instancesFile(paths.stateDir));
}

/** The connector the commands reach providers with: nimbusd's SSH API. */
export function connector(): ProviderConnector {
  return nimbusdConnector;
}

/** Progress is for a person at a terminal: not under --json, not into a pipe. */
export function showsProgress(jsonEnabled: boolean): boolean {
  return !jsonEnabled && process.stdout.isTTY === true;
}

/** "deployed", "deploying (image)", "deployed (stale, seen 5 min ago)" */
export function describeState(row: { state: string; phase: string | null; stale?: boolean; ageMs?: number }): string {
  const phase = row.phase && (row.state === 'deploying' || row.state === 'releasing') ? ` (${row.phase})` : '';
  const stale = row.stale ? ` (stale: seen ${formatAge(row.ageMs ?? 0)} ago)` : '';
  return `${row.state}${phase}${stale}`;
}
