import { describe, expect, it } from 'vitest';
import { normalizeRequest } from './request.ts';
import {
  cheaperReference, FIT_WEIGHT, fitNeeds, fitValue, NO_PRICE_REFERENCE, PRICE_WEIGHT, priceValue, SPREAD_WEIGHT,
  spreadValue, totalScore,
} from './scoring.ts';
import { machine, provider } from './testdata/fixtures.ts';
import { placeBoth } from './testdata/place-both.ts';

describe('fit', () => {
  it('is 1 minus the mean share left unused over the asked dimensions', () => {
    const needs = fitNeeds(normalizeRequest({ minCores: 4, minMemoryGib: 16 }));
    expect(fitValue(needs, 4, 8, 16, 0, 0)).toBe(1);
    expect(fitValue(needs, 8, 16, 16, 0, 0)).toBe(0.75);
    expect(fitValue(needs, 128, 256, 16, 0, 0)).toBeCloseTo(1 - (124 / 128) / 2, 12);
  });

  it('counts disk size and GPUs when asked, and is 1 when nothing is asked', () => {
    expect(fitValue(fitNeeds(normalizeRequest({})), 64, 128, 512, 9000, 8)).toBe(1);
    const needs = fitNeeds(normalizeRequest({ disk: { minSizeGb: 1000 }, gpu: { minCount: 2 } }));
    expect(needs).toMatchObject({ diskGb: 1000, gpus: 2, dimensions: 2 });
    expect(fitValue(needs, 1, 1, 1, 2000, 8)).toBe(1 - (0.5 + 0.75) / 2);
  });

  it('prefers the right-sized machine: a 4-core request takes the 4-core one over the 128-core one', () => {
    const providers = [provider('big', { machines: [machine('huge', { cores: 128 })] }), provider('small', { machines: [machine('fits', { cores: 4 })] })];
    const result = placeBoth(providers, { minCores: 4 });
    expect(result.candidates.map((c) => c.classId)).toStrictEqual(['fits', 'huge']);
    expect(result.candidates[0]!.terms.find((t) => t.name === 'fit')!.value).toBe(1);
  });
});

describe('price', () => {
  it('is 1 for the cheapest match, half for one twice its price, 1 for a free one, 0 without a rate', () => {
    const reference = [2, 0, 4, NaN, 1].reduce(cheaperReference, NO_PRICE_REFERENCE);
    expect(reference).toBe(1);
    expect(priceValue(1, reference)).toBe(1);
    expect(priceValue(2, reference)).toBe(0.5);
    expect(priceValue(0, reference)).toBe(1);
    expect(priceValue(NaN, reference)).toBe(0);
  });

  it('ranks the cheaper of two equal machines first', () => {
    const providers = [provider('dear', { machines: [machine('m', { price: 3 })] }), provider('cheap', { machines: [machine('m', { price: 1.5 })] })];
    const result = placeBoth(providers, { minCores: 8 });
    expect(result.candidates.map((c) => c.providerId)).toStrictEqual(['cheap', 'dear']);
    expect(result.candidates.map((c) => c.terms.find((t) => t.name === 'price')!.value)).toStrictEqual([1, 0.5]);
  });

  it('converts prices with the rates before comparing them', () => {
    // 100 JPY at 0.006 EUR is 0.6 EUR, cheaper than 1 USD at 0.9 EUR.
    const providers = [provider('usd', { currency: 'USD' }), provider('yen', { currency: 'JPY', machines: [machine('standard', { price: 100 })] })];
    const result = placeBoth(providers, { currency: 'EUR', rates: { USD: 0.9, JPY: 0.006 } });
    expect(result.candidates.map((c) => c.providerId)).toStrictEqual(['yen', 'usd']);
    expect(result.candidates[0]!.price).toStrictEqual({ perHour: 100, currency: 'JPY', converted: 0.6, convertedCurrency: 'EUR' });
    expect(result.candidates[1]!.price.converted).toBe(0.9);
  });

  it('gives a class whose currency has no rate the worst price term, but keeps it', () => {
    const providers = [provider('known', { currency: 'USD', machines: [machine('m', { price: 50 })] }), provider('unknown', { currency: 'JPY', machines: [machine('m', { price: 1 })] })];
    const result = placeBoth(providers, { currency: 'USD' });
    expect(result.candidates.map((c) => c.providerId)).toStrictEqual(['known', 'unknown']);
    expect(result.candidates[1]!.terms.find((t) => t.name === 'price')!.value).toBe(0);
    expect(result.candidates[1]!.price.converted).toBeNull();
  });

  it('trades price against fit with equal weights', () => {
    // Twice the cores for the same money loses; twice the cores at a third of the price wins.
    const right = provider('right', { machines: [machine('m', { cores: 4, price: 3 })] });
    const sameMoney = provider('same', { machines: [machine('m', { cores: 8, price: 3 })] });
    const bargain = provider('bargain', { machines: [machine('m', { cores: 8, price: 1 })] });
    expect(placeBoth([right, sameMoney], { minCores: 4 }).candidates[0]!.providerId).toBe('right');
    expect(placeBoth([right, bargain], { minCores: 4 }).candidates[0]!.providerId).toBe('bargain');
  });
});

describe('score terms', () => {
  it('lists fit and price with their weights, and spread only for count > 1', () => {
    const providers = [provider('a'), provider('b')];
    const one = placeBoth(providers, {}).candidates[0]!;
    expect(one.terms.map((t) => [t.name, t.weight])).toStrictEqual([['fit', FIT_WEIGHT], ['price', PRICE_WEIGHT]]);
    const many = placeBoth(providers, { count: 2 }).candidates[0]!;
    expect(many.terms.map((t) => [t.name, t.weight])).toStrictEqual([['fit', FIT_WEIGHT], ['price', PRICE_WEIGHT], ['spread', SPREAD_WEIGHT]]);
    expect(placeBoth(providers, { count: 2, spread: false }).candidates[0]!.terms).toHaveLength(2);
  });

  it('has a total equal to the sum of value × weight', () => {
    const providers = [provider('a', { machines: [machine('x', { cores: 16, price: 2 }), machine('y', { cores: 8, price: 1 })] })];
    for (const c of placeBoth(providers, { minCores: 6, count: 3 }).candidates) {
      expect(c.score).toBeCloseTo(c.terms.reduce((sum, t) => sum + t.value * t.weight, 0), 12);
    }
    expect(totalScore(0.5, 0.25, NaN)).toBe(0.75);
    expect(totalScore(0.5, 0.25, 1)).toBe(0.75 + SPREAD_WEIGHT);
  });

  it('gives a provider\'s best class spread 1, its next 1/2, so other providers come between them', () => {
    expect([0, 1, 2].map(spreadValue)).toStrictEqual([1, 0.5, 1 / 3]);
    const providers = [
      provider('a', { machines: [machine('best', { price: 1 }), machine('second', { price: 1.1 })] }),
      provider('b', { machines: [machine('only', { price: 1.2 })] }),
    ];
    const ranked = placeBoth(providers, { count: 2 }).candidates.map((c) => `${c.providerId}/${c.classId}`);
    expect(ranked).toStrictEqual(['a/best', 'b/only', 'a/second']);
    const unspread = placeBoth(providers, { count: 2, spread: false }).candidates.map((c) => `${c.providerId}/${c.classId}`);
    expect(unspread).toStrictEqual(['a/best', 'a/second', 'b/only']);
  });
});
