import { describe, expect, it } from 'vitest';
import { indexTomlPositions } from './toml-positions.ts';

// Positions are 1-based line:col; each expectation below was counted on the text.
const at = (text: string, path: (string | number)[], anchor: 'key' | 'value' | 'table'): string => {
  const { line, col } = indexTomlPositions(text).locate(path, anchor);
  return `${line}:${col}`;
};

describe('indexTomlPositions', () => {
  it('finds root keys and values', () => {
    const text = 'schema = 1\n  id   =   "acme"\n';
    expect(at(text, ['id'], 'key')).toBe('2:3');
    expect(at(text, ['id'], 'value')).toBe('2:12');
  });

  it('points a table at its header, and its keys inside it', () => {
    const text = 'a = 1\n\n[endpoint]\nhost = "h"\nport = 22\n';
    expect(at(text, ['endpoint'], 'table')).toBe('3:1');
    expect(at(text, ['endpoint', 'port'], 'key')).toBe('5:1');
    expect(at(text, ['endpoint', 'port'], 'value')).toBe('5:8');
  });

  it('tells the elements of an array of tables apart', () => {
    const text = '[[machines]]\nid = "a"\n\n[[machines]]\nid = "b"\ncpu = { cores = 0 }\n';
    expect(at(text, ['machines', 1], 'table')).toBe('4:1');
    expect(at(text, ['machines', 1, 'id'], 'value')).toBe('5:6');
    expect(at(text, ['machines', 1, 'cpu', 'cores'], 'value')).toBe('6:17');
    expect(at(text, ['machines', 0, 'id'], 'value')).toBe('2:6');
  });

  it('maps [machines.cpu] and [[machines.disks]] to the current machine', () => {
    const text = [
      '[[machines]]', // 1
      'id = "a"', // 2
      '[[machines]]', // 3
      'id = "b"', // 4
      '[machines.cpu]', // 5
      'cores = 0', // 6
      '[[machines.disks]]', // 7
      'size_gb = 1', // 8
      '[[machines.disks]]', // 9
      '  size_gb = 2', // 10
    ].join('\n');
    expect(at(text, ['machines', 1, 'cpu', 'cores'], 'value')).toBe('6:9');
    expect(at(text, ['machines', 1, 'cpu'], 'table')).toBe('5:1');
    expect(at(text, ['machines', 1, 'cpu'], 'key')).toBe('5:11');
    expect(at(text, ['machines', 1, 'disks', 1, 'size_gb'], 'key')).toBe('10:3');
    expect(at(text, ['machines', 1, 'disks', 0], 'table')).toBe('7:1');
  });

  it('follows dotted keys, naming implicit tables by their first key part', () => {
    const text = 'location.region = "EU"\nlocation . "country" = "de"\n';
    expect(at(text, ['location', 'region'], 'value')).toBe('1:19');
    expect(at(text, ['location', 'country'], 'key')).toBe('2:12');
    expect(at(text, ['location'], 'table')).toBe('1:1');
  });

  it('follows inline tables and arrays of inline tables', () => {
    const text = 'cpu = { model = "x", cores = 4 }\ndisks = [{ type = "nvme" }, { type = "tape", size_gb = 1 }]\n';
    expect(at(text, ['cpu', 'cores'], 'key')).toBe('1:22');
    expect(at(text, ['cpu'], 'table')).toBe('1:1');
    expect(at(text, ['disks', 1], 'value')).toBe('2:29');
    expect(at(text, ['disks', 1, 'type'], 'value')).toBe('2:38');
  });

  it('finds array elements across lines', () => {
    const text = 'images = [\n  "a",\n  "b",\n]\n';
    expect(at(text, ['images', 1], 'value')).toBe('3:3');
    expect(at(text, ['images'], 'value')).toBe('1:10');
  });

  it('falls back to the nearest written ancestor for a path that is not written', () => {
    const text = '[endpoint]\nhost = "h"\n';
    expect(at(text, ['endpoint', 'port'], 'value')).toBe('1:1');
    expect(at(text, ['endpoint', 'host', 'deeper'], 'value')).toBe('2:8');
    const late = 'a = 1\n[tenants]\n';
    expect(at(late, ['tenants', 'policy'], 'value')).toBe('2:1');
  });

  it('answers 1:1 for the root, and for everything when the text does not parse', () => {
    expect(at('a = 1\n', [], 'table')).toBe('1:1');
    expect(at('a = 1\nb = = 2\n', ['a'], 'value')).toBe('1:1');
  });

  it('keeps the first place a key is written', () => {
    const text = '[[machines]]\nid = "a"\n[[machines]]\nid = "b"\n';
    expect(at(text, ['machines'], 'key')).toBe('1:3');
  });

  it('counts columns after multi-byte characters in UTF-16 units, like the parsers', () => {
    expect(at('name = "Zürich 😀"\nx = 1\n', ['x'], 'value')).toBe('2:5');
    expect(at('a = ["😀", 1]\n', ['a', 1], 'value')).toBe('1:12');
  });
});
