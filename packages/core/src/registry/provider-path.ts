/**
 * Where provider files live in a registry: `providers/<id>.toml`, directly in
 * `providers/`. Paths are posix and relative to the registry root.
 */

const PROVIDERS_DIR = 'providers';
const EXTENSION = '.toml';

/**
 * True for `providers/<name>.toml` exactly one level deep. Rejects absolute paths,
 * backslashes, NUL, `..` anywhere and sub-directories, so a path that
 * passes can be joined to the registry root without leaving it.
 */
export function isProviderPath(path: string): boolean {
  if (path.includes('\\') || path.includes('..') || path.includes('\0')) return false;
  const segments = path.split('/');
  if (segments.length !== 2 || segments[0] !== PROVIDERS_DIR) return false;
  const file = segments[1] ?? '';
  return file.length > EXTENSION.length && file.endsWith(EXTENSION);
}

/** The provider id a file name promises: `providers/acme.toml` → `acme`. Only for provider paths. */
export function providerIdFromPath(path: string): string {
  const file = path.slice(PROVIDERS_DIR.length + 1);
  return file.slice(0, -EXTENSION.length);
}
