import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, stringify, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.ts';

/** A registry the user follows: a name (its cache folder) and a Git URL or path. */
export interface RegistryRef {
  name: string;
  url: string;
}

export interface NimbusctlConfig {
  /** In the order they were added; the first one wins when two carry the same provider. */
  registries: RegistryRef[];
  placement: {
    /** Currency that prices are compared and shown in. */
    currency?: string;
    /** 1 unit of the key currency = value units of `currency`. */
    rates: Record<string, number>;
  };
}

export const REGISTRY_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;

export function emptyConfig(): NimbusctlConfig {
  return { registries: [], placement: { rates: {} } };
}

/** Reads the config; a missing file is an empty config, a broken one a ConfigError. */
export async function readConfig(file: string): Promise<NimbusctlConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string): NimbusctlConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0];
      throw new ConfigError(`${file}:${err.line}:${err.column}: ${first}`, { cause: err });
    }
    throw new ConfigError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  const bad = (key: string, what: string): never => {
    throw new ConfigError(`${file}: ${key}: ${what}`);
  };
  const config = emptyConfig();
  for (const key of Object.keys(doc)) {
    if (key !== 'registries' && key !== 'placement') bad(key, 'unknown key (known: registries, placement)');
  }
  const registries = doc.registries ?? [];
  if (!Array.isArray(registries)) bad('registries', 'must be an array of tables ([[registries]])');
  (registries as unknown[]).forEach((entry, i) => {
    const where = `registries[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad(where, 'must be a table with name and url');
    const { name, url, ...rest } = entry as Record<string, unknown>;
    for (const key of Object.keys(rest)) bad(`${where}.${key}`, 'unknown key (known: name, url)');
    if (typeof name !== 'string' || !REGISTRY_NAME_PATTERN.test(name)) {
      bad(`${where}.name`, 'must be lower-case letters, digits, _ or -, up to 63 characters');
    }
    if (typeof url !== 'string' || url.length === 0) bad(`${where}.url`, 'must be a Git URL or path');
    if (config.registries.some((r) => r.name === name)) bad(`${where}.name`, `"${name}" appears twice`);
    config.registries.push({ name: name as string, url: url as string });
  });
  const placement = doc.placement ?? {};
  if (typeof placement !== 'object' || placement === null || Array.isArray(placement)) bad('placement', 'must be a table');
  const { currency, rates, ...rest } = placement as Record<string, unknown>;
  for (const key of Object.keys(rest)) bad(`placement.${key}`, 'unknown key (known: currency, rates)');
  if (currency !== undefined) {
    if (typeof currency !== 'string' || !CURRENCY_PATTERN.test(currency)) bad('placement.currency', 'must be an ISO 4217 code such as "EUR"');
    config.placement.currency = currency as string;
  }
  if (rates !== undefined) {
    if (typeof rates !== 'object' || rates === null || Array.isArray(rates)) bad('placement.rates', 'must be a table of CURRENCY = number');
    for (const [code, value] of Object.entries(rates as Record<string, unknown>)) {
      if (!CURRENCY_PATTERN.test(code)) bad(`placement.rates.${code}`, 'key must be an ISO 4217 code such as "EUR"');
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) bad(`placement.rates.${code}`, 'must be a positive number');
      config.placement.rates[code] = value as number;
    }
  }
  return config;
}

/** Writes the config atomically (temp file + rename), so a crash never leaves half a file. */
export async function writeConfig(file: string, config: NimbusctlConfig): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const doc: Record<string, unknown> = { registries: config.registries.map((r) => ({ ...r })) };
  if (config.placement.currency !== undefined || Object.keys(config.placement.rates).length > 0) {
    doc.placement = { ...config.placement };
  }
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `# nimbusctl configuration, written by nimbusctl\n${stringify(doc)}\n`, { mode: 0o644 });
  await rename(tmp, file);
}
