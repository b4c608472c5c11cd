import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The DMTF mockups live beside the checkout, never inside it: `<repo>/../shared/redfish-mockups`. */
export const DEFAULT_MOCKUPS_DIR = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'redfish-mockups');

export const MOCKUPS = ['public-rackmount1', 'public-tower', 'public-bladed'] as const;
export type MockupName = (typeof MOCKUPS)[number];

export type Resource = Record<string, unknown>;

/** `/redfish/v1/Systems/X/` and `/redfish/v1/Systems/X` are one resource. */
export function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : path;
}

/**
 * Reads every `index.json` under `<dir>/<mockup>/redfish` into a map keyed by URL path
 * (`/redfish/v1/Systems/X`). Each resource is parsed here, once, and copied per emulator.
 */
export function loadMockup(mockup: string, mockupsDir: string = DEFAULT_MOCKUPS_DIR): Map<string, Resource> {
  const base = join(mockupsDir, mockup);
  const rootDir = join(base, 'redfish');
  try {
    statSync(rootDir);
  } catch (cause) {
    throw new Error(`Redfish mockup "${mockup}" not found: ${rootDir} does not exist`, { cause });
  }
  const resources = new Map<string, Resource>();
  const walk = (dir: string, urlPath: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        walk(join(dir, entry.name), `${urlPath}/${entry.name}`);
      } else if (entry.name === 'index.json') {
        const file = join(dir, entry.name);
        try {
          resources.set(normalizePath(urlPath), JSON.parse(readFileSync(file, 'utf8')) as Resource);
        } catch (cause) {
          throw new Error(`${file}: not valid JSON`, { cause });
        }
      }
    }
  };
  walk(rootDir, '/redfish');
  return resources;
}

/** The `@odata.id` paths listed in a collection's `Members`. */
export function memberIds(collection: Resource | undefined): string[] {
  const members = collection?.['Members'];
  if (!Array.isArray(members)) return [];
  return members.flatMap((m: unknown) => {
    const id = (m as Record<string, unknown> | null)?.['@odata.id'];
    return typeof id === 'string' ? [normalizePath(id)] : [];
  });
}

/**
 * The resources of one emulator. It can stand for many copies of one system: copies
 * `<id>-2` … `<id>-N` of the system and everything under it are made on first access,
 * from the system as it was when replicated, so a thousand systems cost little until used.
 */
export class ResourceTree {
  readonly #resources: Map<string, Resource>;
  #systemPath = '';
  #count = 1;
  /** The replicated subtree as JSON text, untouched by later changes to the original. */
  readonly #pristine = new Map<string, string>();

  constructor(resources: Map<string, Resource>) {
    this.#resources = resources;
  }

  get(path: string): Resource | undefined {
    return this.#resources.get(path) ?? this.#materialize(path);
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  delete(path: string): void {
    this.#resources.delete(path);
  }

  /** The resources held now (copies only once materialized). */
  entries(): IterableIterator<[string, Resource]> {
    return this.#resources.entries();
  }

  keys(): IterableIterator<string> {
    return this.#resources.keys();
  }

  /** Serves `count` systems in all: the one at `systemPath` and its copies; returns the copies' paths. */
  replicateSystem(systemPath: string, count: number): string[] {
    this.#systemPath = systemPath;
    this.#count = count;
    for (const [p, r] of this.#resources) if (p === systemPath || p.startsWith(`${systemPath}/`)) this.#pristine.set(p, JSON.stringify(r));
    const added = Array.from({ length: Math.max(0, count - 1) }, (_, i) => `${systemPath}-${i + 2}`);
    const systems = this.#resources.get('/redfish/v1/Systems');
    if (systems) {
      const members = [...memberIds(systems), ...added].map((p) => ({ '@odata.id': p }));
      systems['Members'] = members;
      systems['Members@odata.count'] = members.length;
    }
    return added;
  }

  #materialize(path: string): Resource | undefined {
    const prefix = `${this.#systemPath}-`;
    if (this.#count < 2 || !path.startsWith(prefix)) return undefined;
    const match = /^(\d+)(\/.*)?$/.exec(path.slice(prefix.length));
    const n = Number(match?.[1]);
    if (!match || !Number.isInteger(n) || n < 2 || n > this.#count) return undefined;
    const original = this.#pristine.get(this.#systemPath + (match[2] ?? ''));
    if (original === undefined) return undefined;
    const copyPath = `${this.#systemPath}-${n}`;
    const copy = JSON.parse(original.replaceAll(`${this.#systemPath}/`, `${copyPath}/`).replaceAll(`"${this.#systemPath}"`, `"${copyPath}"`)) as Resource;
    if (match[2] === undefined) copy['Id'] = `${String(copy['Id'])}-${n}`;
    this.#resources.set(path, copy);
    return copy;
  }
}
