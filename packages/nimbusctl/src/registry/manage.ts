import { rm } from 'node:fs/promises';
import { readConfig, REGISTRY_NAME_PATTERN, writeConfig, type RegistryRef } from '../config/config.ts';
import { ConfigError, RegistryExistsError, RegistryNotFoundError } from '../errors.ts';
import { clonePath, indexPath } from './git-registry.ts';
import { redactUrl } from './redact.ts';

/** Adds a registry to the config. It is cloned by the next `registry sync`. */
export async function addRegistry(configFile: string, name: string, url: string): Promise<RegistryRef> {
  if (!REGISTRY_NAME_PATTERN.test(name)) {
    throw new ConfigError(`registry name "${name}" must be lower-case letters, digits, _ or -, up to 63 characters`);
  }
  if (url.trim() === '') throw new ConfigError('the registry URL is empty: give a Git URL or a path to a Git repository');
  const config = await readConfig(configFile);
  const existing = config.registries.find((r) => r.name === name);
  if (existing) {
    throw new RegistryExistsError(
      `a registry named "${name}" already exists (${redactUrl(existing.url)}); remove it first with: nimbusctl registry remove ${name}`,
    );
  }
  const ref = { name, url };
  config.registries.push(ref);
  await writeConfig(configFile, config);
  return ref;
}

/** Removes a registry from the config and deletes its cache. */
export async function removeRegistry(configFile: string, cacheDir: string, name: string): Promise<RegistryRef> {
  const config = await readConfig(configFile);
  const ref = config.registries.find((r) => r.name === name);
  if (!ref) throw unknownRegistry(name, config.registries);
  config.registries = config.registries.filter((r) => r.name !== name);
  await writeConfig(configFile, config);
  await rm(clonePath(cacheDir, name), { recursive: true, force: true });
  for (const suffix of ['', '-wal', '-shm']) await rm(indexPath(cacheDir, name) + suffix, { force: true });
  return ref;
}

export function unknownRegistry(name: string, known: readonly RegistryRef[]): RegistryNotFoundError {
  const list = known.length ? `known registries: ${known.map((r) => r.name).join(', ')}` : 'no registry is configured yet; add one with: nimbusctl registry add NAME URL';
  return new RegistryNotFoundError(`no registry named "${name}" (${list})`);
}
