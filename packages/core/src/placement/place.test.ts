import { describe, expect, it } from 'vitest';
import { DuplicateIdError } from './errors.ts';
import { placeLinear } from './linear.ts';
import { place } from './place.ts';
import { buildPlacementIndex } from './placement-index.ts';
import { RULES } from './rules.ts';
import { machine, provider, shuffled } from './testdata/fixtures.ts';
import { placeBoth } from './testdata/place-both.ts';
import { randomRegistry, randomRequest, rng } from './testdata/random-registry.ts';


describe('place and placeLinear agree', () => {
  it.each([
    { seed: 1, providers: 60, tags: 8, minMatched: 10 },
    { seed: 2, providers: 120, tags: 8, minMatched: 10 },
    { seed: 3, providers: 40, tags: 45, minMatched: 10 },
    { seed: 4, providers: 2, tags: 3, minMatched: 1 },
  ])('on 100 random requests over random registry $seed', ({ seed, providers: size, tags, minMatched }) => {
    const providers = randomRegistry(seed, size, tags);
    const index = buildPlacementIndex(providers);
    const r = rng(seed * 7919);
    let matchedSome = 0;
    for (let i = 0; i < 100; i++) {
      const req = randomRequest(r, providers);
      const indexed = place(index, req);
      expect(indexed, JSON.stringify(req)).toStrictEqual(placeLinear(providers, req));
      if (indexed.candidates.length > 0) matchedSome++;
    }
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(matchedSome).toBeGreaterThanOrEqual(minMatched);
    expect(matchedSome).toBeLessThan(100);
  });

  it('with and without explain on the same counts and candidates', () => {
    const providers = randomRegistry(5, 80);
    const index = buildPlacementIndex(providers);
    const r = rng(42);
    for (let i = 0; i < 50; i++) {
      const req = { ...randomRequest(r, providers), explain: false };
      const plain = place(index, req);
      const explained = place(index, { ...req, explain: true });
      expect(explained.summary).toStrictEqual(plain.summary);
      expect(explained.candidates).toStrictEqual(plain.candidates);
      expect(explained.rejected).toHaveLength(plain.summary.rejected);
      expect(plain.rejected).toBeUndefined();
      expect(plain.closestMisses).toBeUndefined();
    }
  });
});

describe('summary', () => {
  it('counts every class once: matched plus rejected by rule is everything', () => {
    const providers = randomRegistry(6, 50);
    const index = buildPlacementIndex(providers);
    const r = rng(6);
    for (let i = 0; i < 40; i++) {
      const { summary } = place(index, randomRequest(r, providers));
      const byRule = RULES.reduce((sum, rule) => sum + summary.rejectedByRule[rule], 0);
      expect(summary.considered).toBe(providers.reduce((n, p) => n + p.machines.length, 0));
      expect(summary.matched + byRule).toBe(summary.considered);
      expect(summary.rejected).toBe(byRule);
      expect(Object.keys(summary.rejectedByRule)).toStrictEqual([...RULES]);
    }
  });

  it('sums the machines of the matching classes', () => {
    const providers = [provider('a', { machines: [machine('x', { count: 3 }), machine('y', { count: 4, cores: 2 })] })];
    expect(placeBoth(providers, { minCores: 4 }).summary).toMatchObject({ matched: 1, machinesMatched: 3, providers: 1 });
  });
});

describe('determinism', () => {
  it('gives the same result for the same registry in any order', () => {
    const providers = randomRegistry(7, 70);
    const reordered = shuffled(providers, 99).map((p) => ({ ...p, machines: shuffled(p.machines, p.id.length) }));
    const r = rng(7);
    for (let i = 0; i < 40; i++) {
      const req = randomRequest(r, providers);
      const a = place(buildPlacementIndex(providers), req);
      const b = place(buildPlacementIndex(reordered), req);
      expect(b).toStrictEqual(a);
      expect(placeLinear(reordered, req)).toStrictEqual(a);
    }
  });

  it('gives the same result when one index answers many requests in turn', () => {
    const providers = randomRegistry(8, 40);
    const index = buildPlacementIndex(providers);
    const requests = Array.from({ length: 30 }, ((r) => () => randomRequest(r, providers))(rng(8)));
    const first = requests.map((req) => place(index, req));
    const again = requests.map((req) => place(index, req));
    expect(again).toStrictEqual(first);
  });

  it('breaks score ties by provider id, then class id', () => {
    const twin = () => [machine('b'), machine('a')];
    const providers = [provider('zeta', { machines: twin() }), provider('alpha', { machines: twin() })];
    const ids = placeBoth(providers, {}).candidates.map((c) => `${c.providerId}/${c.classId}`);
    expect(ids).toStrictEqual(['alpha/a', 'alpha/b', 'zeta/a', 'zeta/b']);
  });
});

describe('count and assignments', () => {
  it('reports unsatisfied when the matches hold fewer machines than asked', () => {
    const providers = [provider('a', { machines: [machine('x', { count: 2 })] }), provider('b', { machines: [machine('y', { count: 1 })] })];
    const result = placeBoth(providers, { count: 5 });
    expect(result.unsatisfied).toMatchObject({ wanted: 5, placed: 3 });
    expect(result.unsatisfied!.reason).toContain('only 3 machines');
    expect(result.assignments.reduce((n, a) => n + a.machines, 0)).toBe(3);
  });

  it('reports unsatisfied when nothing matches', () => {
    const result = placeBoth([provider('a')], { minCores: 1000 });
    expect(result.candidates).toStrictEqual([]);
    expect(result.assignments).toStrictEqual([]);
    expect(result.unsatisfied).toMatchObject({ wanted: 1, placed: 0 });
  });

  it('is satisfied without an unsatisfied entry when enough machines match', () => {
    const result = placeBoth([provider('a', { machines: [machine('x', { count: 4 })] })], { count: 4 });
    expect(result.unsatisfied).toBeUndefined();
    expect(result.assignments).toStrictEqual([{ candidate: 0, providerId: 'a', classId: 'x', machines: 4 }]);
  });

  it('assigns one machine to the best candidate for count 1', () => {
    const providers = [provider('a', { machines: [machine('big', { cores: 64 }), machine('fit', { cores: 8 })] })];
    expect(placeBoth(providers, { minCores: 8 }).assignments).toStrictEqual([{ candidate: 0, providerId: 'a', classId: 'fit', machines: 1 }]);
  });

  it('shows every candidate an assignment uses, beyond the limit', () => {
    const providers = ['a', 'b', 'c', 'd', 'e'].map((id) => provider(id, { machines: [machine('m', { count: 1 })] }));
    const result = placeBoth(providers, { count: 4, limit: 2 });
    expect(result.candidates.map((c) => c.providerId)).toStrictEqual(['a', 'b', 'c', 'd']);
    expect(result.assignments.map((a) => a.providerId)).toStrictEqual(['a', 'b', 'c', 'd']);
  });

  it('returns at most limit candidates when they are enough', () => {
    const providers = ['a', 'b', 'c', 'd', 'e'].map((id) => provider(id));
    expect(placeBoth(providers, { limit: 3 }).candidates).toHaveLength(3);
  });
});

describe('closest misses', () => {
  it('lists the rejected classes that failed the fewest rules, with every rule they failed', () => {
    const providers = [
      provider('a', { machines: [machine('one-short', { cores: 16 })] }),
      provider('b', { machines: [machine('two-short', { cores: 16, memory: 8 })] }),
      provider('c', { region: 'us-east', machines: [machine('three-short', { cores: 16, memory: 8 })] }),
    ];
    const result = placeBoth(providers, { minCores: 32, minMemoryGib: 16, regions: ['eu-central'], explain: true });
    expect(result.closestMisses!.map((m) => [m.classId, m.failedRules])).toStrictEqual([
      ['one-short', 1], ['two-short', 2], ['three-short', 3],
    ]);
    expect(result.closestMisses![2]!.failures.map((f) => f.rule)).toStrictEqual(['region', 'cores', 'memory']);
    expect(result.closestMisses![0]!.failures[0]!.reason).toBe('has 16 cores, needs 32');
  });

  it('ranks a class with 8 of 16 matching GPUs before classes with none', () => {
    const h100s = (count: number) => [{ model: 'NVIDIA H100 SXM5 80GB', memory_gib: 80, count }];
    const providers = [
      // Ids that sort before rheinmain-gpu, so only the shortfall can put it first.
      ...['alpha', 'bravo', 'charlie'].map((id) => provider(id, { machines: [machine('cpu-a'), machine('cpu-b')] })),
      provider('delta', { machines: [machine('a100-8x', { gpus: [{ model: 'NVIDIA A100 80GB', memory_gib: 80, count: 8 }] })] }),
      provider('rheinmain-gpu', { machines: [machine('h100-sxm-8x', { gpus: h100s(8) }), machine('h100-sxm-4x', { gpus: h100s(4) })] }),
    ];
    const misses = placeBoth(providers, { gpu: { model: 'h100', minCount: 16 }, explain: true }).closestMisses!;
    expect(misses.map((m) => [`${m.providerId}/${m.classId}`, m.failedRules, m.shortfall])).toStrictEqual([
      ['rheinmain-gpu/h100-sxm-8x', 1, 0.5],
      ['rheinmain-gpu/h100-sxm-4x', 1, 0.75],
      ['alpha/cpu-a', 1, 1],
      ['alpha/cpu-b', 1, 1],
      ['bravo/cpu-a', 1, 1],
    ]);
    expect(misses[0]!.failures).toStrictEqual([{ rule: 'gpu', reason: 'has 8 GPUs matching "h100", needs 16' }]);
  });

  it('ranks has 32 cores of 64 before has 8 of 64', () => {
    const providers = [
      provider('a', { machines: [machine('eight', { cores: 8 })] }),
      provider('b', { machines: [machine('thirty-two', { cores: 32 })] }),
    ];
    const misses = placeBoth(providers, { minCores: 64, explain: true }).closestMisses!;
    expect(misses.map((m) => [m.classId, m.shortfall])).toStrictEqual([['thirty-two', 0.5], ['eight', 0.875]]);
  });

  it('still ranks fewer failed rules first, however near the class with more', () => {
    const providers = [
      provider('a', { machines: [machine('nearly', { cores: 60, memory: 120 })] }),
      provider('b', { region: 'us-east', machines: [machine('elsewhere', { cores: 64, memory: 128 })] }),
    ];
    const misses = placeBoth(providers, { minCores: 64, minMemoryGib: 128, regions: ['eu-central'], explain: true }).closestMisses!;
    expect(misses.map((m) => [m.classId, m.failedRules])).toStrictEqual([['elsewhere', 1], ['nearly', 2]]);
    expect(misses[1]!.shortfall).toBeLessThan(misses[0]!.shortfall);
  });

  it('breaks shortfall ties by provider id, then class id, in any input order', () => {
    const twin = () => [machine('b', { cores: 16 }), machine('a', { cores: 16 })];
    const providers = [provider('zeta', { machines: twin() }), provider('alpha', { machines: twin() })];
    for (const registry of [providers, shuffled(providers, 3).map((p) => ({ ...p, machines: shuffled(p.machines, 5) }))]) {
      const misses = placeBoth(registry, { minCores: 32, explain: true }).closestMisses!;
      expect(misses.map((m) => `${m.providerId}/${m.classId}`)).toStrictEqual(['alpha/a', 'alpha/b', 'zeta/a', 'zeta/b']);
    }
  });

  it('lets a nearer class late in class order displace earlier ones once five are kept', () => {
    const providers = [
      provider('a', { machines: Array.from({ length: 7 }, (_, i) => machine(`m${i}`, { cores: 2 + i })) }),
      provider('b', { machines: [machine('near', { cores: 15 })] }),
    ];
    const misses = placeBoth(providers, { minCores: 16, explain: true }).closestMisses!;
    expect(misses.map((m) => m.classId)).toStrictEqual(['near', 'm6', 'm5', 'm4', 'm3']);
  });

  it('keeps at most five', () => {
    const providers = [provider('a', { machines: Array.from({ length: 9 }, (_, i) => machine(`m${i}`, { cores: 2 })) })];
    expect(placeBoth(providers, { minCores: 4, explain: true }).closestMisses).toHaveLength(5);
  });
});

describe('registry input', () => {
  it('rejects two providers with one id', () => {
    const providers = [provider('a'), provider('a')];
    expect(() => buildPlacementIndex(providers)).toThrow(DuplicateIdError);
    expect(() => placeLinear(providers, {})).toThrow(/two providers have the id a/);
  });

  it('rejects two classes with one id in a provider', () => {
    const providers = [provider('a', { machines: [machine('x'), machine('x')] })];
    expect(() => buildPlacementIndex(providers)).toThrow(/provider a has two machine classes with the id x/);
  });

  it('answers an empty registry with nothing', () => {
    const result = placeBoth([], { minCores: 2 });
    expect(result.summary).toMatchObject({ providers: 0, considered: 0, matched: 0 });
    expect(result.unsatisfied).toBeDefined();
  });

  it('validates the request before placing', () => {
    expect(() => place(buildPlacementIndex([provider('a')]), { count: 0 })).toThrow(/count/);
    expect(() => placeLinear([provider('a')], { count: 0 })).toThrow(/count/);
  });
});
