import type { PlacementRequest } from '@nimbus/core';

/** The placement flags shared by `plan` (and, later, `instance create`). */
export interface PlanFlags {
  arch?: 'x86_64' | 'arm64'; cores?: number; threads?: number; memory?: number;
  'disk-type'?: 'nvme' | 'ssd' | 'hdd'; 'disk-size'?: number; gpu?: string; 'gpu-count'?: number; 'gpu-memory'?: number;
  region?: string[]; country?: string[]; image?: string; 'max-price'?: number; currency?: string; tag?: string[];
  provider?: string[]; exclude?: string[]; count: number; spread?: boolean; limit?: number; explain?: boolean;
}

/** The placement request the flags describe; core's validateRequest judges it. */
export function requestFromFlags(f: PlanFlags): PlacementRequest {
  const req: PlacementRequest = { count: f.count, explain: f.explain ?? false };
  if (f.arch) req.arch = f.arch;
  if (f.cores !== undefined) req.minCores = f.cores;
  if (f.threads !== undefined) req.minThreads = f.threads;
  if (f.memory !== undefined) req.minMemoryGib = f.memory;
  if (f['disk-type'] || f['disk-size'] !== undefined) {
    req.disk = {};
    if (f['disk-type']) req.disk.type = f['disk-type'];
    if (f['disk-size'] !== undefined) req.disk.minSizeGb = f['disk-size'];
  }
  if (f.gpu !== undefined || f['gpu-count'] !== undefined || f['gpu-memory'] !== undefined) {
    req.gpu = {};
    if (f.gpu !== undefined && f.gpu.toLowerCase() !== 'any') req.gpu.model = f.gpu;
    if (f['gpu-count'] !== undefined) req.gpu.minCount = f['gpu-count'];
    if (f['gpu-memory'] !== undefined) req.gpu.minMemoryGib = f['gpu-memory'];
  }
  if (f.region?.length) req.regions = f.region;
  if (f.country?.length) req.countries = f.country;
  if (f.image) req.image = f.image;
  if (f['max-price'] !== undefined) req.maxPricePerHour = f['max-price'];
  if (f.currency) req.currency = f.currency.toUpperCase();
  if (f.tag?.length) req.tags = f.tag;
  if (f.provider?.length) req.providers = f.provider;
  if (f.exclude?.length) req.excludeProviders = f.exclude;
  if (f.spread !== undefined) req.spread = f.spread;
  if (f.limit !== undefined) req.limit = f.limit;
  return req;
}
