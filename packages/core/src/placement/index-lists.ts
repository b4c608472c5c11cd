/** Building blocks of the placement index: numbering names, grouping, and the sorted and grouped class lists. */
import { ROW } from './class-rows.ts';
import type { ClassList, PerArch, SortedList } from './placement-index.ts';

/** Numbers strings in first-seen order. */
export class Interner {
  readonly numbers = new Map<string, number>();
  readonly values: string[] = [];

  number(value: string): number {
    let n = this.numbers.get(value);
    if (n === undefined) {
      n = this.values.length;
      this.numbers.set(value, n);
      this.values.push(value);
    }
    return n;
  }
}

export function groupProviders(groupOf: Int32Array, groups: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: groups }, () => []);
  groupOf.forEach((g, p) => lists[g]!.push(p));
  return lists.map((list) => Int32Array.from(list));
}

/** Class numbers (those `include` keeps) in ascending key order, ties by number. */
export function sortedByKey(keys: Float64Array, include: ((c: number) => boolean) | null): Int32Array {
  const ids: number[] = [];
  for (let c = 0; c < keys.length; c++) if (include === null || include(c)) ids.push(c);
  return Int32Array.from(ids).sort((a, b) => keys[a]! - keys[b]! || a - b);
}

/** Splits a sorted order by partition and arch; each part stays sorted. */
export function partitionSorted(
  order: Int32Array, keys: Float64Array, arch: Uint8Array, partitionOf: Int32Array | null, partitions: number,
  rows: Float64Array | null,
): PerArch<SortedList>[] {
  const sizes = new Int32Array(partitions * 2);
  for (const c of order) sizes[(partitionOf === null ? 0 : partitionOf[c]!) * 2 + arch[c]!]!++;
  const lists = Array.from({ length: partitions * 2 }, (_, i): SortedList => ({
    ids: new Int32Array(sizes[i]!),
    keys: new Float64Array(sizes[i]!),
    rows: rows === null ? null : new Float64Array(sizes[i]! * ROW.size),
  }));
  const filled = new Int32Array(partitions * 2);
  for (const c of order) {
    const slot = (partitionOf === null ? 0 : partitionOf[c]!) * 2 + arch[c]!;
    const list = lists[slot]!;
    const at = filled[slot]!++;
    list.ids[at] = c;
    list.keys[at] = keys[c]!;
    if (rows !== null) list.rows!.set(rows.subarray(c * ROW.size, (c + 1) * ROW.size), at * ROW.size);
  }
  return Array.from({ length: partitions }, (_, i) => [lists[2 * i]!, lists[2 * i + 1]!] as const);
}

/** For each value (a GPU model, a tag), the classes that have it, by arch, each class once; with their rows when given. */
export function classesBy(
  classCount: number, values: number, arch: Uint8Array, rows: Float64Array | null,
  each: (c: number, add: (value: number) => void) => void,
): PerArch<ClassList>[] {
  const lists: [number[], number[]][] = Array.from({ length: values }, () => [[], []]);
  for (let c = 0; c < classCount; c++) {
    const seen: number[] = [];
    each(c, (value) => {
      if (seen.includes(value)) return;
      seen.push(value);
      lists[value]![arch[c]!]!.push(c);
    });
  }
  const toList = (ids: number[]): ClassList => ({
    ids: Int32Array.from(ids),
    rows: rows === null ? null : copyRows(rows, ids),
  });
  return lists.map(([x86, arm]) => [toList(x86), toList(arm)] as const);
}

/** The rows of classes `ids`, one after another. */
function copyRows(rows: Float64Array, ids: readonly number[]): Float64Array {
  const copy = new Float64Array(ids.length * ROW.size);
  ids.forEach((c, i) => copy.set(rows.subarray(c * ROW.size, (c + 1) * ROW.size), i * ROW.size));
  return copy;
}
