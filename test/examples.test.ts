/**
 * The sample registry (examples/registry/) and the schema's documentation
 * (registry-schema/README.md) are checked with the same loader nimbusctl uses, so
 * neither can drift from the schema unnoticed.
 */
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'smol-toml';
import { formatProblem, loadRegistry, type Provider, type ProviderSource } from '@nimbus/core';
import providerSchema from '@nimbus/registry-schema/provider.schema.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGISTRY_DIR = join(ROOT, 'examples', 'registry');
const SCHEMA_README = readFileSync(join(ROOT, 'registry-schema', 'README.md'), 'utf8');

type Table = Record<string, unknown>;

/** The parts of a JSON Schema node these tests walk. */
interface SchemaNode {
  type?: string;
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
}

const SCHEMA = providerSchema as unknown as SchemaNode & { $defs: Record<string, SchemaNode> };

/** Every entry of providers/, as nimbusctl reads it: lstat first, so a symlink is reported, not followed. */
function readRegistrySources(): ProviderSource[] {
  const dir = join(REGISTRY_DIR, 'providers');
  return readdirSync(dir)
    .sort()
    .map((name): ProviderSource => {
      const full = join(dir, name);
      const stat = lstatSync(full);
      const path = `providers/${name}`;
      if (stat.isSymbolicLink()) return { path, bytes: new Uint8Array(0), kind: 'symlink' };
      if (!stat.isFile()) return { path, bytes: new Uint8Array(0), kind: 'other' };
      return { path, bytes: readFileSync(full), kind: 'file' };
    });
}

/** Loads one file's text as `providers/<id>.toml`; the problems formatted, for readable failures. */
function problemsOf(text: string, id: string): string[] {
  const { problems } = loadRegistry([{ path: `providers/${id}.toml`, bytes: new TextEncoder().encode(text) }]);
  return problems.map(formatProblem);
}

function problemsOfDocument(doc: Table): string[] {
  return problemsOf(stringify(doc), String(doc['id']));
}

describe('the sample registry', () => {
  const sources = readRegistrySources();
  const { providers, problems } = loadRegistry(sources);

  it('loads without a single problem', () => {
    expect(problems.map(formatProblem)).toEqual([]);
    expect(providers).toHaveLength(sources.length);
  });

  it('has at least 7 providers, each with owners, a .example endpoint and its own host key', () => {
    expect(providers.length).toBeGreaterThanOrEqual(7);
    for (const p of providers) {
      expect(p.owners?.length ?? 0, p.id).toBeGreaterThan(0);
      expect(p.endpoint.host, p.id).toMatch(/\.example$/);
    }
    expect(new Set(providers.map((p) => p.endpoint.host_key)).size).toBe(providers.length);
    expect(new Set(providers.map((p) => p.endpoint.host)).size).toBe(providers.length);
  });

  it('is varied: GPU and arm64 classes, an allowlist, several regions and currencies', () => {
    const classes = providers.flatMap((p) => p.machines);
    expect(classes.some((m) => (m.gpus ?? []).some((g) => g.count >= 8))).toBe(true);
    expect(classes.some((m) => m.arch === 'arm64')).toBe(true);
    expect(providers.some((p) => p.tenants.policy === 'allowlist')).toBe(true);
    expect(providers.some((p) => p.tenants.policy === 'open')).toBe(true);
    expect(new Set(providers.map((p) => p.location.region)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(providers.map((p) => p.price.currency)).size).toBeGreaterThanOrEqual(2);
    for (const tag of ['nvme', 'gpu', 'storage', 'ipv6', 'sev-snp']) {
      expect(classes.some((m) => m.tags?.includes(tag)), tag).toBe(true);
    }
    for (const type of ['nvme', 'ssd', 'hdd'] as const) {
      expect(classes.some((m) => m.disks.some((d) => d.type === type)), type).toBe(true);
    }
  });

  it('offers the demo image at every provider', () => {
    const without = providers.filter((p) => !p.images.includes('nimbus-demo')).map((p) => p.id);
    expect(without).toEqual([]);
  });

  it("lists exactly its providers in the README's table, with their region, currency and policy", () => {
    const readme = readFileSync(join(REGISTRY_DIR, 'README.md'), 'utf8');
    const rows = readme
      .split('\n')
      .filter((line) => /^\| `[a-z0-9-]+` \|/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    const listed = rows.map(([, id, region, currency, policy]) => ({ id: id?.replaceAll('`', ''), region, currency, policy }));
    const actual = providers.map((p: Provider) => ({
      id: p.id,
      region: `${p.location.region} (${p.location.country})`,
      currency: p.price.currency,
      policy: p.tenants.policy,
    }));
    const byId = (a: { id?: string }, b: { id?: string }): number => String(a.id).localeCompare(String(b.id));
    expect(listed.sort(byId)).toEqual(actual.sort(byId));
  });
});

interface Section {
  heading: string;
  lines: string[];
}

/** Splits the README at its `##` and `###` headings. */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  let current: Section = { heading: '', lines: [] };
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,3} (.*)$/.exec(line);
    if (heading) {
      out.push(current);
      current = { heading: heading[1] ?? '', lines: [] };
    } else current.lines.push(line);
  }
  out.push(current);
  return out;
}

function tomlBlocks(lines: readonly string[]): string[] {
  return [...lines.join('\n').matchAll(/^```toml\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

const README_SECTIONS = sections(SCHEMA_README);
const COMPLETE_SECTION = README_SECTIONS.find((s) => s.heading === 'A complete file');
const COMPLETE_TEXT = tomlBlocks(COMPLETE_SECTION?.lines ?? [])[0] ?? '';
const COMPLETE = parse(COMPLETE_TEXT) as Table;

/** `Top level` → [], `` `[[machines.disks]]` `` → ['machines', 'disks']; undefined for other headings. */
function tableKeys(heading: string): string[] | undefined {
  if (heading === 'Top level') return [];
  const m = /^`\[{1,2}([a-z_.]+)\]{1,2}`$/.exec(heading);
  return m ? (m[1] ?? '').split('.') : undefined;
}

function resolve(node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  const name = node.$ref.replace('#/$defs/', '');
  const target = SCHEMA.$defs[name];
  if (!target) throw new Error(`unresolved $ref ${node.$ref}`);
  return target;
}

/** The schema node of the table a heading names; arrays of tables step into their items. */
function schemaTable(keys: readonly string[]): SchemaNode {
  let node: SchemaNode = SCHEMA;
  for (const key of keys) {
    const next = node.properties?.[key];
    if (!next) throw new Error(`the schema has no table ${keys.join('.')}`);
    node = resolve(next);
    if (node.type === 'array' && node.items) node = resolve(node.items);
  }
  return node;
}

/**
 * The table of a copy of `doc` that a heading names. In an array of tables it takes the
 * first entry that has the next key, so `[[machines.gpus]]` lands in a class with GPUs.
 */
function tableIn(doc: Table, keys: readonly string[]): Table {
  let table = doc;
  keys.forEach((key, i) => {
    const value = table[key];
    const next = keys[i + 1];
    const entry = Array.isArray(value)
      ? (value as Table[]).find((t) => next === undefined || next in t)
      : (value as Table | undefined);
    if (entry === undefined) throw new Error(`the complete example has no ${keys.slice(0, i + 1).join('.')}`);
    table = entry;
  });
  return table;
}

interface FieldRow {
  key: string;
  required: string;
  examples: string[];
}

function fieldRows(lines: readonly string[]): FieldRow[] {
  return lines
    .filter((line) => /^\| `[a-z_]+` \|/.test(line))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      const key = (cells[1] ?? '').replaceAll('`', '');
      const examples = [...(cells[4] ?? '').matchAll(/`([^`]+ = [^`]+)`/g)].map((m) => m[1] ?? '');
      return { key, required: cells[2] ?? '', examples };
    });
}

/** Every key path the schema allows, arrays written as `[]`, e.g. `machines[].cpu.model`. */
function schemaKeyPaths(node: SchemaNode, prefix: string): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push(path);
    const resolved = resolve(child);
    if (resolved.properties) out.push(...schemaKeyPaths(resolved, path));
    if (resolved.type === 'array' && resolved.items && resolve(resolved.items).properties) {
      out.push(...schemaKeyPaths(resolve(resolved.items), `${path}[]`));
    }
  }
  return out;
}

function documentKeyPaths(value: unknown, prefix: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) documentKeyPaths(item, `${prefix}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      out.add(path);
      documentKeyPaths(child, path, out);
    }
  }
  return out;
}

describe('registry-schema/README.md', () => {
  it('ends with a complete example that loads without problems', () => {
    expect(COMPLETE_TEXT).toContain('schema = 1');
    expect(problemsOf(COMPLETE_TEXT, String(COMPLETE['id']))).toEqual([]);
  });

  it('uses every field of the schema in the complete example, as it says', () => {
    const used = documentKeyPaths(COMPLETE, '', new Set());
    const unused = schemaKeyPaths(SCHEMA, '').filter((path) => !used.has(path));
    expect(unused).toEqual([]);
  });

  it('has TOML snippets that each give a valid file when put over the complete example', () => {
    const snippets = README_SECTIONS.filter((s) => s !== COMPLETE_SECTION).flatMap((s) => tomlBlocks(s.lines));
    expect(snippets.length).toBeGreaterThanOrEqual(5);
    for (const snippet of snippets) {
      const doc = { ...structuredClone(COMPLETE), ...(parse(snippet) as Table) };
      expect(problemsOfDocument(doc), snippet).toEqual([]);
    }
  });

  const fieldSections = README_SECTIONS.flatMap((s) => {
    const keys = tableKeys(s.heading);
    return keys === undefined ? [] : [{ ...s, keys }];
  });

  it('has a field table for every table of the schema', () => {
    expect(fieldSections.map((s) => s.heading)).toEqual([
      'Top level',
      '`[location]`',
      '`[endpoint]`',
      '`[tenants]`',
      '`[price]`',
      '`[[machines]]`',
      '`[machines.cpu]`',
      '`[[machines.disks]]`',
      '`[[machines.gpus]]`',
      '`[[machines.nics]]`',
    ]);
  });

  describe.each(fieldSections)('$heading', ({ keys, lines }) => {
    const node = schemaTable(keys);
    const rows = fieldRows(lines);

    it('documents exactly the keys of the schema, with the right "Required"', () => {
      expect(rows.map((r) => r.key).sort()).toEqual(Object.keys(node.properties ?? {}).sort());
      for (const row of rows) {
        expect(row.required, row.key).toBe((node.required ?? []).includes(row.key) ? 'yes' : 'no');
      }
    });

    it('gives each value key a valid example', () => {
      for (const row of rows) {
        const field = resolve(node.properties?.[row.key] ?? {});
        const holdsTables = field.type === 'object' || (field.type === 'array' && resolve(field.items ?? {}).type === 'object');
        if (holdsTables) continue; // shown by its own section's snippet
        expect(row.examples.length, row.key).toBeGreaterThan(0);
        for (const example of row.examples) {
          const parsed = parse(example) as Table;
          expect(Object.keys(parsed), example).toEqual([row.key]);
          const doc = structuredClone(COMPLETE);
          tableIn(doc, keys)[row.key] = parsed[row.key];
          expect(problemsOfDocument(doc), example).toEqual([]);
        }
      }
    });
  });
});
