import { describe, expect, it } from 'vitest';
import { assignMachines } from './assign.ts';
import { machine, provider } from './testdata/fixtures.ts';
import { placeBoth } from './testdata/place-both.ts';

describe('assignMachines', () => {
  it('fills in rank order without spread', () => {
    expect(assignMachines([0, 0, 1], [2, 5, 9], 3, 4, false, true)).toStrictEqual({
      kind: 'done', placed: 4, assignments: [{ position: 0, machines: 2 }, { position: 1, machines: 2 }],
    });
  });

  it('goes round-robin over providers with spread', () => {
    // Providers 7, 8, 9 in order of their best; 5 machines: 7, 8, 9, then 7 and 8 again.
    expect(assignMachines([7, 8, 7, 9], [1, 5, 5, 1], 4, 5, true, true)).toStrictEqual({
      kind: 'done', placed: 5,
      assignments: [{ position: 0, machines: 1 }, { position: 1, machines: 2 }, { position: 2, machines: 1 }, { position: 3, machines: 1 }],
    });
  });

  it('places what there is when the matches run out', () => {
    expect(assignMachines([0, 1], [1, 2], 2, 10, true, true)).toMatchObject({ kind: 'done', placed: 3 });
    expect(assignMachines([0, 1], [1, 2], 2, 10, false, true)).toMatchObject({ kind: 'done', placed: 3 });
  });

  it('asks for more candidates only when the prefix cannot decide', () => {
    expect(assignMachines([0, 0], [5, 5], 2, 3, true, false)).toStrictEqual({ kind: 'needMore' });
    expect(assignMachines([0, 1, 2], [1, 1, 1], 3, 3, true, false)).toMatchObject({ kind: 'done', placed: 3 });
    expect(assignMachines([0, 0], [1, 1], 2, 3, false, false)).toStrictEqual({ kind: 'needMore' });
    expect(assignMachines([0, 0], [5, 5], 2, 3, false, false)).toMatchObject({ kind: 'done', placed: 3 });
  });

  it('skips candidates without machines', () => {
    expect(assignMachines([0, 1], [0, 1], 2, 1, true, true)).toStrictEqual({ kind: 'done', placed: 1, assignments: [{ position: 1, machines: 1 }] });
  });
});

describe('spread across providers', () => {
  const three = [
    provider('a', { machines: [machine('m', { count: 10, price: 1 })] }),
    provider('b', { machines: [machine('m', { count: 10, price: 2 })] }),
    provider('c', { machines: [machine('m', { count: 10, price: 3 })] }),
  ];

  it('puts 3 machines on 3 providers when it can', () => {
    const result = placeBoth(three, { count: 3 });
    expect(result.assignments.map((a) => [a.providerId, a.machines])).toStrictEqual([['a', 1], ['b', 1], ['c', 1]]);
  });

  it('doubles up when there are fewer providers than machines', () => {
    const result = placeBoth(three.slice(0, 2), { count: 3 });
    expect(result.assignments.map((a) => [a.providerId, a.machines])).toStrictEqual([['a', 2], ['b', 1]]);
    expect(result.unsatisfied).toBeUndefined();
  });

  it('puts them all on the best class without spread', () => {
    const result = placeBoth(three, { count: 3, spread: false });
    expect(result.assignments.map((a) => [a.providerId, a.machines])).toStrictEqual([['a', 3]]);
  });

  it('uses another class of the same provider once its best is full', () => {
    const providers = [provider('a', { machines: [machine('first', { count: 1, price: 1 }), machine('second', { count: 5, price: 1.5 })] })];
    const result = placeBoth(providers, { count: 3 });
    expect(result.assignments.map((a) => [a.classId, a.machines])).toStrictEqual([['first', 1], ['second', 2]]);
  });

  it('reaches past the limit for providers further down the ranking', () => {
    const many = Array.from({ length: 30 }, (_, i) => provider(`p${String(i).padStart(2, '0')}`, { machines: [machine('m', { count: 5, price: 1 + i / 100 })] }));
    const result = placeBoth(many, { count: 25, limit: 10 });
    expect(new Set(result.assignments.map((a) => a.providerId)).size).toBe(25);
    expect(result.candidates).toHaveLength(25);
  });
});
