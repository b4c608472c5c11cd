/**
 * Maps key paths back to where they are written in a TOML text, so a problem found
 * on the parsed value can point at a line and column. Built only for files that have
 * problems: the fast path for a valid file never pays for this syntax tree.
 */
import { parseTOML } from 'toml-eslint-parser';
import type { AST } from 'toml-eslint-parser';
import { keyPathId, type KeyPath } from './key-path.ts';

/** 1-based line and column. */
export interface Position {
  line: number;
  col: number;
}

/**
 * What a problem points at: the key that names the value (an unknown key), the value
 * itself (a wrong type, a number out of range) or the table that should hold a key
 * (a missing key: its `[header]`, or the key of an inline or dotted table).
 */
export type Anchor = 'key' | 'value' | 'table';

export interface TomlPositions {
  /** Where `path` is written; falls back to the nearest written ancestor, then to 1:1. */
  locate(path: KeyPath, anchor: Anchor): Position;
}

interface Spots {
  key?: Position;
  value?: Position;
  header?: Position;
}

const START: Position = { line: 1, col: 1 };

const PREFERENCE: Record<Anchor, readonly (keyof Spots)[]> = {
  key: ['key', 'header', 'value'],
  value: ['value', 'header', 'key'],
  table: ['header', 'key', 'value'],
};

/**
 * Indexes every key, value and table header of `text`. Never throws: a text the
 * position parser rejects yields an index that answers 1:1 for everything.
 */
export function indexTomlPositions(text: string): TomlPositions {
  const spots = new Map<string, Spots>();
  try {
    indexProgram(parseTOML(text), spots);
  } catch {
    // The values were parsed by another parser already; without positions, problems
    // still get reported, at the start of the file.
  }
  return {
    locate(path, anchor) {
      for (let p = path; ; p = p.slice(0, -1)) {
        const found = spots.get(keyPathId(p));
        if (found) {
          for (const kind of PREFERENCE[anchor]) {
            const at = found[kind];
            if (at) return at;
          }
        }
        if (p.length === 0) return START;
      }
    },
  };
}

function indexProgram(program: AST.TOMLProgram, spots: Map<string, Spots>): void {
  for (const node of program.body[0].body) {
    if (node.type === 'TOMLKeyValue') indexKeyValue(node, [], spots);
    else indexTable(node, spots);
  }
}

/** `[a.b]` or `[[machines]]`: the header marks the table; each key part names a prefix. */
function indexTable(table: AST.TOMLTable, spots: Map<string, Spots>): void {
  const path = table.resolvedKey;
  record(spots, path, 'header', table.loc.start);
  // resolvedKey carries array indices (`machines, 1, cpu`) the written key does not
  // (`machines.cpu`): walk both, advancing through the key parts on string segments.
  let part = 0;
  for (let i = 0; i < path.length; i++) {
    if (typeof path[i] !== 'string') continue;
    const keyNode = table.key.keys[part++];
    if (keyNode) record(spots, path.slice(0, i + 1), 'key', keyNode.loc.start);
  }
  for (const kv of table.body) indexKeyValue(kv, path, spots);
}

/** `a.b.c = v`: each dotted part names a (possibly implicit) table, the last one the value. */
function indexKeyValue(kv: AST.TOMLKeyValue, base: KeyPath, spots: Map<string, Spots>): void {
  let path = base;
  for (const keyNode of kv.key.keys) {
    path = [...path, keyNode.type === 'TOMLBare' ? keyNode.name : keyNode.value];
    record(spots, path, 'key', keyNode.loc.start);
  }
  indexValue(kv.value, path, spots);
}

function indexValue(node: AST.TOMLContentNode, path: KeyPath, spots: Map<string, Spots>): void {
  record(spots, path, 'value', node.loc.start);
  if (node.type === 'TOMLArray') {
    node.elements.forEach((element, i) => indexValue(element, [...path, i], spots));
  } else if (node.type === 'TOMLInlineTable') {
    for (const kv of node.body) indexKeyValue(kv, path, spots);
  }
}

/** Keeps the first place a path is written: that is where a reader meets it first. */
function record(spots: Map<string, Spots>, path: KeyPath, kind: keyof Spots, at: AST.Position): void {
  const id = keyPathId(path);
  let entry = spots.get(id);
  if (!entry) {
    entry = {};
    spots.set(id, entry);
  }
  // ESTree columns are 0-based; ours are 1-based.
  entry[kind] ??= { line: at.line, col: at.column + 1 };
}
