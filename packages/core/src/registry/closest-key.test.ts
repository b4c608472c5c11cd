import { describe, expect, it } from 'vitest';
import { closestKey, editDistance } from './closest-key.ts';

describe('editDistance', () => {
  it.each([
    ['port', 'port', 0],
    ['prot', 'port', 2],
    ['memory_gb', 'memory_gib', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('%s → %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('closestKey', () => {
  const known = ['host', 'port', 'host_key'];

  it('suggests the nearest key within two edits, ignoring case', () => {
    expect(closestKey('prot', known)).toBe('port');
    expect(closestKey('HOST_KEY', known)).toBe('host_key');
    expect(closestKey('hostkey', known)).toBe('host_key');
  });

  it('suggests nothing when every key is further away', () => {
    expect(closestKey('fingerprint', known)).toBeUndefined();
  });

  it('suggests nothing for a short key that would need too many of its characters changed', () => {
    expect(closestKey('t', ['id'])).toBeUndefined();
    expect(closestKey('po', known)).toBeUndefined();
    expect(closestKey('Id', ['id'])).toBe('id');
  });

  it('prefers the earlier key on a tie', () => {
    expect(closestKey('hort', known)).toBe('host');
  });
});
