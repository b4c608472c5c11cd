import type { Arch, Provider } from '@nimbus/core';
import type { CatalogProvider } from '../registry/catalog.ts';

export interface ProviderFilter {
  region?: string[];
  country?: string[];
  arch?: Arch;
  /** Case-insensitive part of a GPU model; "any" matches any GPU. */
  gpu?: string;
  tag?: string[];
  image?: string;
}

/** One row of `providers list`. */
export interface ProviderSummary {
  id: string;
  name: string;
  registry: string;
  region: string;
  country: string;
  city?: string;
  policy: Provider['tenants']['policy'];
  machines: number;
  classes: number;
  arches: Arch[];
  gpus: string[];
  currency: string;
  minPricePerHour: number;
  endpoint: string;
}

const count = (n: number | undefined): number => n ?? 1;

/** Whether one machine class of the provider matches the class-level parts of the filter. */
function hasMatchingClass(provider: Provider, f: ProviderFilter): boolean {
  const gpu = f.gpu?.toLowerCase();
  return provider.machines.some(
    (m) =>
      (!f.arch || m.arch === f.arch) &&
      (!gpu || (m.gpus ?? []).some((g) => gpu === 'any' || g.model.toLowerCase().includes(gpu))) &&
      (!f.tag || f.tag.every((t) => (m.tags ?? []).includes(t))),
  );
}

export function matchesFilter(provider: Provider, f: ProviderFilter): boolean {
  if (f.region?.length && !f.region.includes(provider.location.region)) return false;
  if (f.country?.length && !f.country.includes(provider.location.country.toUpperCase())) return false;
  if (f.image && !provider.images.includes(f.image)) return false;
  return hasMatchingClass(provider, f);
}

export function summarizeProvider({ registry, provider }: CatalogProvider): ProviderSummary {
  const summary: ProviderSummary = {
    id: provider.id,
    name: provider.name,
    registry,
    region: provider.location.region,
    country: provider.location.country,
    policy: provider.tenants.policy,
    machines: provider.machines.reduce((n, m) => n + count(m.count), 0),
    classes: provider.machines.length,
    arches: [...new Set(provider.machines.map((m) => m.arch))].sort(),
    gpus: [...new Set(provider.machines.flatMap((m) => (m.gpus ?? []).map((g) => g.model)))].sort(),
    currency: provider.price.currency,
    minPricePerHour: Math.min(...provider.machines.map((m) => m.price_per_hour)),
    endpoint: `${provider.endpoint.host}:${provider.endpoint.port}`,
  };
  if (provider.location.city !== undefined) summary.city = provider.location.city;
  return summary;
}

export function listProviders(providers: readonly CatalogProvider[], filter: ProviderFilter): ProviderSummary[] {
  return providers.filter((p) => matchesFilter(p.provider, filter)).map(summarizeProvider);
}
