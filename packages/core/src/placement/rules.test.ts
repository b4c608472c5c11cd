import { describe, expect, it } from 'vitest';
import type { Provider } from '../provider.ts';
import type { PlacementRequest } from './request.ts';
import { RULES, type RuleId } from './rules.ts';
import { machine, provider } from './testdata/fixtures.ts';
import { placeBoth } from './testdata/place-both.ts';

/** The one rejection of a one-class registry, asked with explain. */
function rejectionOf(p: Provider, req: PlacementRequest) {
  const result = placeBoth([p], { ...req, explain: true });
  expect(result.candidates).toStrictEqual([]);
  expect(result.rejected).toHaveLength(1);
  return result.rejected![0]!;
}

describe('each rule rejects with its id and a reason', () => {
  const cases: Array<{ rule: RuleId; p: Provider; req: PlacementRequest; reason: string }> = [
    { rule: 'provider', p: provider('acme'), req: { providers: ['other'] }, reason: 'provider acme is not one of other' },
    { rule: 'provider', p: provider('acme'), req: { excludeProviders: ['acme'] }, reason: 'provider acme is excluded' },
    { rule: 'region', p: provider('acme', { region: 'us-east' }), req: { regions: ['eu-west', 'eu-central'] }, reason: 'is in region us-east, needs one of eu-central, eu-west' },
    { rule: 'country', p: provider('acme', { country: 'FR' }), req: { countries: ['de'] }, reason: 'is in country FR, needs DE' },
    { rule: 'image', p: provider('acme', { images: ['debian-12'] }), req: { image: 'rocky-9' }, reason: 'provider acme does not offer image rocky-9' },
    { rule: 'arch', p: provider('acme', { machines: [machine('m', { arch: 'arm64' })] }), req: { arch: 'x86_64' }, reason: 'is arm64, needs x86_64' },
    { rule: 'gpu', p: provider('acme'), req: { gpu: { model: 'A100', minCount: 2 } }, reason: 'has no GPU, needs 2 matching "a100"' },
    {
      rule: 'gpu',
      p: provider('acme', { machines: [machine('m', { gpus: [{ model: 'NVIDIA A100 40GB', memory_gib: 40, count: 4 }] })] }),
      req: { gpu: { model: 'a100', minCount: 2, minMemoryGib: 80 } },
      reason: 'has 0 GPUs matching "a100" with at least 80 GiB each, needs 2',
    },
    {
      rule: 'gpu',
      p: provider('acme', { machines: [machine('m', { gpus: [{ model: 'NVIDIA L4', memory_gib: 24, count: 1 }] })] }),
      req: { gpu: { minCount: 2 } },
      reason: 'has 1 GPU, needs 2',
    },
    { rule: 'cores', p: provider('acme', { machines: [machine('m', { cores: 16 })] }), req: { minCores: 32 }, reason: 'has 16 cores, needs 32' },
    { rule: 'threads', p: provider('acme', { machines: [machine('m', { cores: 16, threads: 16 })] }), req: { minThreads: 32 }, reason: 'has 16 threads, needs 32' },
    { rule: 'memory', p: provider('acme', { machines: [machine('m', { memory: 64 })] }), req: { minMemoryGib: 128 }, reason: 'has 64 GiB memory, needs 128' },
    { rule: 'disk', p: provider('acme'), req: { disk: { type: 'hdd' } }, reason: 'has no hdd disk' },
    {
      rule: 'disk',
      p: provider('acme', { machines: [machine('m', { disks: [{ type: 'nvme', size_gb: 960, count: 2 }, { type: 'ssd', size_gb: 4000 }] })] }),
      req: { disk: { type: 'nvme', minSizeGb: 2000 } },
      reason: 'has 1920 GB of nvme, needs 2000',
    },
    {
      rule: 'disk',
      p: provider('acme', { machines: [machine('m', { disks: [{ type: 'nvme', size_gb: 960, count: 2 }, { type: 'ssd', size_gb: 100 }] })] }),
      req: { disk: { minSizeGb: 5000 } },
      reason: 'has 2020 GB of disk, needs 5000',
    },
    { rule: 'tags', p: provider('acme', { machines: [machine('m', { tags: ['ipv6'] })] }), req: { tags: ['sgx', 'ipv6', 'ecc'] }, reason: 'lacks tags ecc, sgx' },
    { rule: 'tags', p: provider('acme'), req: { tags: ['ipv6'] }, reason: 'lacks tag ipv6' },
    {
      rule: 'currency',
      p: provider('acme', { currency: 'JPY' }),
      req: { maxPricePerHour: 5, currency: 'EUR', rates: { USD: 0.9 } },
      reason: 'is priced in JPY and no rate converts JPY to EUR',
    },
    {
      rule: 'price',
      p: provider('acme', { currency: 'USD', machines: [machine('m', { price: 2.5 })] }),
      req: { maxPricePerHour: 2, currency: 'EUR', rates: { USD: 0.9 } },
      reason: 'costs 2.25 EUR/h (2.5 USD/h), more than 2 EUR/h',
    },
    {
      rule: 'price',
      p: provider('acme', { currency: 'USD', machines: [machine('m', { price: 2.5 })] }),
      req: { maxPricePerHour: 2 },
      reason: 'costs 2.5 USD/h, more than 2 USD/h',
    },
  ];

  it.each(cases)('$rule: $reason', ({ rule, p, req, reason }) => {
    const rejection = rejectionOf(p, req);
    expect(rejection).toStrictEqual({ providerId: 'acme', classId: p.machines[0]!.id, rule, reason });
  });

  it('covers every rule', () => {
    expect(new Set(cases.map((c) => c.rule))).toStrictEqual(new Set(RULES));
  });

  it('counts the rejection under its rule in the summary, without explain too', () => {
    for (const { rule, p, req } of cases) {
      const { summary } = placeBoth([p], req);
      expect(summary.rejectedByRule[rule], rule).toBe(1);
      expect(summary.rejected).toBe(1);
    }
  });
});

describe('the first failing rule is the one reported', () => {
  // A class that fails every rule the request asks about.
  const hopeless = provider('acme', {
    region: 'us-east', country: 'US', currency: 'JPY', images: ['debian-12'],
    machines: [machine('m', { arch: 'arm64', cores: 2, threads: 2, memory: 2, tags: [], price: 1000 })],
  });
  const everything: PlacementRequest = {
    excludeProviders: ['acme'], regions: ['eu-west'], countries: ['FR'], image: 'rocky-9', arch: 'x86_64',
    gpu: { model: 'h100' }, minCores: 8, minThreads: 8, minMemoryGib: 8, disk: { type: 'hdd' }, tags: ['sgx'],
    maxPricePerHour: 1, currency: 'USD',
  };
  const fieldsOf: Record<RuleId, Array<keyof PlacementRequest>> = {
    provider: ['excludeProviders'], region: ['regions'], country: ['countries'], image: ['image'], arch: ['arch'],
    gpu: ['gpu'], cores: ['minCores'], threads: ['minThreads'], memory: ['minMemoryGib'], disk: ['disk'], tags: ['tags'],
    currency: ['currency'], price: ['maxPricePerHour'],
  };

  it('follows RULES order as rules are taken away one by one', () => {
    const req: PlacementRequest = { ...everything };
    for (const rule of RULES) {
      expect(rejectionOf(hopeless, req).rule).toBe(rule);
      for (const field of fieldsOf[rule]) delete req[field];
      // After `currency` only the price remains: give the JPY price a rate.
      if (rule === 'currency') req.rates = { JPY: 0.007 };
    }
    expect(placeBoth([hopeless], req).candidates).toHaveLength(1);
  });

  it('is documented as provider-level rules first, then the class', () => {
    expect(RULES.slice(0, 4)).toStrictEqual(['provider', 'region', 'country', 'image']);
    expect(RULES.indexOf('currency')).toBeLessThan(RULES.indexOf('price'));
  });
});

describe('matching details', () => {
  it('matches the GPU model case-insensitively as a substring and sums matching GPUs', () => {
    const p = provider('acme', {
      machines: [machine('m', { gpus: [{ model: 'NVIDIA A100 80GB', memory_gib: 80, count: 2 }, { model: 'NVIDIA A100 40GB', memory_gib: 40, count: 2 }] })],
    });
    expect(placeBoth([p], { gpu: { model: 'a100', minCount: 4 } }).candidates).toHaveLength(1);
    expect(placeBoth([p], { gpu: { model: 'A100 80', minCount: 2 } }).candidates).toHaveLength(1);
    expect(placeBoth([p], { gpu: { model: 'a100', minCount: 3, minMemoryGib: 80 } }).candidates).toHaveLength(0);
  });

  it('treats the disk type as exactly that type: nvme does not count as ssd', () => {
    const p = provider('acme', { machines: [machine('m', { disks: [{ type: 'nvme', size_gb: 4000 }] })] });
    expect(placeBoth([p], { disk: { type: 'ssd' } }).candidates).toHaveLength(0);
    expect(placeBoth([p], { disk: { type: 'nvme', minSizeGb: 4000 } }).candidates).toHaveLength(1);
  });

  it('matches regions and countries case-insensitively', () => {
    const p = provider('acme', { region: 'eu-west', country: 'FR' });
    expect(placeBoth([p], { regions: ['EU-West'], countries: ['fr'] }).candidates).toHaveLength(1);
  });

  it('lets exclusion win over pinning', () => {
    const result = placeBoth([provider('acme'), provider('beta')], { providers: ['acme', 'beta'], excludeProviders: ['acme'], explain: true });
    expect(result.candidates.map((c) => c.providerId)).toStrictEqual(['beta']);
    expect(result.rejected![0]!.reason).toBe('provider acme is excluded');
  });

  it('keeps a class without a rate when no maximum price is asked', () => {
    const result = placeBoth([provider('acme', { currency: 'JPY' })], { currency: 'EUR' });
    expect(result.candidates).toHaveLength(1);
    expect(result.candidates[0]!.price).toStrictEqual({ perHour: 1, currency: 'JPY', converted: null, convertedCurrency: 'EUR' });
  });
});

describe('shortfall of a closest miss', () => {
  /** The one closest miss of a one-class registry. */
  function missOf(p: Provider, req: PlacementRequest) {
    const misses = placeBoth([p], { ...req, explain: true }).closestMisses!;
    expect(misses).toHaveLength(1);
    return misses[0]!;
  }
  const a100s = (count: number, memory: number) => [{ model: 'NVIDIA A100', memory_gib: memory, count }];
  const cases: Array<{ what: string; p: Provider; req: PlacementRequest; shortfall: number }> = [
    { what: 'cores, relative', p: provider('acme', { machines: [machine('m', { cores: 16 })] }), req: { minCores: 64 }, shortfall: 0.75 },
    { what: 'threads, relative', p: provider('acme', { machines: [machine('m', { cores: 8, threads: 8 })] }), req: { minThreads: 32 }, shortfall: 0.75 },
    { what: 'memory, relative', p: provider('acme', { machines: [machine('m', { memory: 96 })] }), req: { minMemoryGib: 128 }, shortfall: 0.25 },
    { what: 'disk size, relative', p: provider('acme', { machines: [machine('m', { disks: [{ type: 'nvme', size_gb: 500, count: 3 }] })] }), req: { disk: { type: 'nvme', minSizeGb: 2000 } }, shortfall: 0.25 },
    { what: 'disk of a missing type, 1', p: provider('acme'), req: { disk: { type: 'hdd', minSizeGb: 10 } }, shortfall: 1 },
    { what: 'matching GPUs, relative', p: provider('acme', { machines: [machine('m', { gpus: a100s(2, 80) })] }), req: { gpu: { model: 'a100', minCount: 8 } }, shortfall: 0.75 },
    { what: 'no GPU, 1', p: provider('acme'), req: { gpu: { model: 'a100', minCount: 8 } }, shortfall: 1 },
    { what: 'GPUs with too little memory, 1', p: provider('acme', { machines: [machine('m', { gpus: a100s(8, 40) })] }), req: { gpu: { minCount: 2, minMemoryGib: 80 } }, shortfall: 1 },
    { what: 'price, relative excess', p: provider('acme', { machines: [machine('m', { price: 2.5 })] }), req: { maxPricePerHour: 2 }, shortfall: 0.25 },
    { what: 'price, at most 1', p: provider('acme', { machines: [machine('m', { price: 9 })] }), req: { maxPricePerHour: 2 }, shortfall: 1 },
    { what: 'price over a maximum of 0, 1', p: provider('acme'), req: { maxPricePerHour: 0 }, shortfall: 1 },
    { what: 'region, 1', p: provider('acme', { region: 'us-east' }), req: { regions: ['eu-west'] }, shortfall: 1 },
    { what: 'arch, 1', p: provider('acme', { machines: [machine('m', { arch: 'arm64' })] }), req: { arch: 'x86_64' }, shortfall: 1 },
    { what: 'tags, 1 however many are missing', p: provider('acme'), req: { tags: ['sgx', 'ecc'] }, shortfall: 1 },
    { what: 'currency, 1', p: provider('acme', { currency: 'JPY' }), req: { maxPricePerHour: 5, rates: {} }, shortfall: 1 },
    {
      what: 'the sum over every failed rule',
      p: provider('acme', { region: 'us-east', machines: [machine('m', { cores: 16, memory: 96 })] }),
      req: { regions: ['eu-west'], minCores: 64, minMemoryGib: 128 },
      shortfall: 2,
    },
  ];

  it.each(cases)('$what: $shortfall', ({ p, req, shortfall }) => {
    expect(missOf(p, req).shortfall).toBeCloseTo(shortfall, 12);
  });

  it('is never more than the number of failed rules, nor 0 for a miss', () => {
    for (const { p, req } of cases) {
      const miss = missOf(p, req);
      expect(miss.shortfall).toBeGreaterThan(0);
      expect(miss.shortfall).toBeLessThanOrEqual(miss.failedRules);
    }
  });
});
