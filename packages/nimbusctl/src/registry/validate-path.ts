import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NotARegistryError } from '../errors.ts';
import { loadRegistry, type Problem } from '@nimbus/core';
import { listProviderPaths, readProviderSource, readProviderSources } from './read-sources.ts';

export interface ValidationReport {
  /** The folder or file that was checked. */
  path: string;
  files: number;
  providers: number;
  problems: Problem[];
}

/**
 * Checks a registry checkout (a folder with `providers/`) or one provider file.
 * A single file is checked as if it sat at `providers/<its name>` so the id/file-name
 * rule applies; problem paths are relative to the folder checked.
 */
export async function validateRegistryPath(path: string): Promise<ValidationReport> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new NotARegistryError(`${path}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}`, { cause: err });
  });
  if (info.isFile()) {
    const source = readProviderSource(dirname(path), basename(path));
    const { providers, problems } = loadRegistry([{ ...source, path: `providers/${basename(path)}` }]);
    const named = problems.map((p) => ({ ...p, file: path }));
    return { path, files: 1, providers: providers.length, problems: named };
  }
  const hasProviders = await stat(join(path, 'providers')).then((s) => s.isDirectory(), () => false);
  if (!hasProviders) {
    throw new NotARegistryError(`${path} has no providers/ folder: give the root of a registry checkout, or one provider file`);
  }
  const paths = listProviderPaths(path);
  const { providers, problems } = loadRegistry(readProviderSources(path, paths));
  return { path, files: paths.length, providers: providers.length, problems };
}
