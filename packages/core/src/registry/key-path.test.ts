import { describe, expect, it } from 'vitest';
import { describeTable, formatKeyPath, pointerToKeyPath } from './key-path.ts';

describe('formatKeyPath', () => {
  it('reads like TOML, with indices in brackets', () => {
    expect(formatKeyPath(['machines', 0, 'cpu', 'threads'])).toBe('machines[0].cpu.threads');
  });

  it('quotes keys that are not bare keys', () => {
    expect(formatKeyPath(['location', 'data centre', 'a.b'])).toBe('location."data centre"."a.b"');
  });
});

describe('describeTable', () => {
  it.each([
    [[], 'the top-level table'],
    [['endpoint'], '[endpoint]'],
    [['machines', 1], 'machines[1]'],
    [['machines', 1, 'cpu'], 'machines[1].cpu'],
  ] as const)('%j → %s', (path, text) => {
    expect(describeTable(path)).toBe(text);
  });
});

describe('pointerToKeyPath', () => {
  const data = { machines: [{ cpu: { cores: 1 } }], '0': { 'a/b': { '~': 1 } } };

  it('turns segments under arrays into numbers', () => {
    expect(pointerToKeyPath('/machines/0/cpu/cores', data)).toEqual(['machines', 0, 'cpu', 'cores']);
  });

  it('keeps a table key that looks like a number a string, and unescapes ~1 and ~0', () => {
    expect(pointerToKeyPath('/0/a~1b/~0', data)).toEqual(['0', 'a/b', '~']);
  });

  it('is empty for the root', () => {
    expect(pointerToKeyPath('', data)).toEqual([]);
  });
});
