import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.ts';
import { PlacementRequestError } from './errors.ts';
import { normalizeRequest, validateRequest, type PlacementRequest } from './request.ts';

describe('validateRequest', () => {
  it.each([
    ['minCores', { minCores: -1 }, 'must not be negative, got -1'],
    ['minCores', { minCores: 2.5 }, 'must be an integer, got 2.5'],
    ['minThreads', { minThreads: Number.NaN }, 'must be an integer, got NaN'],
    ['minMemoryGib', { minMemoryGib: Number.POSITIVE_INFINITY }, 'must be a finite number, got Infinity'],
    ['minMemoryGib', { minMemoryGib: '8' }, 'must be a finite number, got "8"'],
    ['count', { count: 0 }, 'must be at least 1, got 0'],
    ['count', { count: 100_001 }, 'must be at most 100000, got 100001'],
    ['limit', { limit: 0 }, 'must be at least 1, got 0'],
    ['arch', { arch: 'riscv64' }, 'must be one of x86_64, arm64, got "riscv64"'],
    ['disk.type', { disk: { type: 'tape' } }, 'must be one of nvme, ssd, hdd, got "tape"'],
    ['disk.minSizeGb', { disk: { minSizeGb: -5 } }, 'must not be negative, got -5'],
    ['disk.size', { disk: { size: 5 } }, 'is not a placement request field'],
    ['gpu.minCount', { gpu: { minCount: 0 } }, 'must be at least 1, got 0 (leave gpu out to not ask for a GPU)'],
    ['gpu.model', { gpu: { model: '' } }, 'must be a non-empty string, got ""'],
    ['gpu', { gpu: 'a100' }, 'must be an object, got "a100"'],
    ['regions', { regions: [] }, 'must not be empty (leave it out to allow any)'],
    ['regions', { regions: 'eu-west' }, 'must be a list of strings, got "eu-west"'],
    ['tags[1]', { tags: ['ok', 3] }, 'must be a non-empty string, got 3'],
    ['maxPricePerHour', { maxPricePerHour: -1 }, 'must not be negative, got -1'],
    ['currency', { currency: 'euro' }, 'must be a three-letter currency code, got "euro"'],
    ['rates.eur', { rates: { eur: 1.1 } }, 'is not a three-letter upper-case currency code'],
    ['rates.EUR', { rates: { EUR: 0 } }, 'must be a positive finite number, got 0'],
    ['rates.USD', { currency: 'usd', rates: { USD: 2 } }, "is the request's own currency, so it must be 1, got 2"],
    ['spread', { spread: 'yes' }, 'must be true or false, got "yes"'],
    ['explain', { explain: 1 }, 'must be true or false, got 1'],
    ['cores', { cores: 4 }, 'is not a placement request field'],
    ['request', null, 'must be an object, got null'],
  ])('rejects a bad %s', (field, req, problem) => {
    let error: unknown;
    try {
      validateRequest(req as unknown as PlacementRequest);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlacementRequestError);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', field });
    expect((error as Error).message).toContain(`${field} ${problem}`);
  });

  it('accepts a full, sensible request', () => {
    expect(() => validateRequest({
      arch: 'arm64', minCores: 0, minThreads: 8, minMemoryGib: 0.5, disk: { type: 'nvme', minSizeGb: 100 },
      gpu: { model: 'a100', minCount: 2, minMemoryGib: 40 }, regions: ['eu-west'], countries: ['DE'], image: 'debian-12',
      maxPricePerHour: 3, currency: 'EUR', rates: { USD: 0.9, EUR: 1 }, tags: ['ipv6'], providers: ['a'],
      excludeProviders: ['b'], count: 3, spread: false, limit: 5, explain: true,
    })).not.toThrow();
  });
});

describe('normalizeRequest', () => {
  it('fills in the documented defaults', () => {
    expect(normalizeRequest({})).toMatchObject({
      currency: 'USD', count: 1, spread: false, limit: 10, explain: false, minCores: 0, tags: [], gpu: undefined, disk: undefined,
    });
  });

  it('spreads by default only when more than one machine is wanted', () => {
    expect(normalizeRequest({ count: 2 }).spread).toBe(true);
    expect(normalizeRequest({ count: 2, spread: false }).spread).toBe(false);
    expect(normalizeRequest({ count: 1, spread: true }).spread).toBe(false);
  });

  it('folds case, sorts and removes duplicates', () => {
    const q = normalizeRequest({ regions: ['EU-West', 'eu-west'], countries: ['de', 'AT'], currency: 'eur', gpu: { model: 'A100' }, tags: ['b', 'a', 'b'] });
    expect(q.regions).toStrictEqual(['eu-west']);
    expect(q.countries).toStrictEqual(['AT', 'DE']);
    expect(q.currency).toBe('EUR');
    expect(q.rates.get('EUR')).toBe(1);
    expect(q.gpu).toStrictEqual({ model: 'a100', minCount: 1, minMemoryGib: 0 });
    expect(q.tags).toStrictEqual(['a', 'b']);
  });

  it('asks nothing of disks for an empty disk object', () => {
    expect(normalizeRequest({ disk: {} }).disk).toBeUndefined();
    expect(normalizeRequest({ disk: { type: 'ssd' } }).disk).toStrictEqual({ type: 'ssd', minSizeGb: 0 });
  });
});
