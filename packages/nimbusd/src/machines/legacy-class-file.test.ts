import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN, machineInput, openTestStore } from '../state/testdata/fixtures.ts';
import { importLegacyClassAssignments, LEGACY_CLASS_FILE } from './legacy-class-file.ts';

describe('importing the class file of nimbusd 0.1', () => {
  it('moves every assignment into the store once, skips removed machines and keeps the old file renamed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-legacy-'));
    const store = openTestStore(join(dir, 'nimbusd.sqlite'));
    try {
      const m = store.enrollMachine(machineInput('n1'), ADMIN);
      writeFileSync(join(dir, LEGACY_CLASS_FILE), JSON.stringify({ [m.id]: 'epyc', 'machine-gone': 'x' }));
      expect(importLegacyClassAssignments(store, dir)).toBe(1);
      expect(store.getMachine(m.id).class).toBe('epyc');
      expect(existsSync(join(dir, LEGACY_CLASS_FILE))).toBe(false);
      expect(JSON.parse(readFileSync(join(dir, `${LEGACY_CLASS_FILE}.imported`), 'utf8'))).toHaveProperty(m.id, 'epyc');
      expect(importLegacyClassAssignments(store, dir)).toBe(0);
    } finally {
      store.close();
    }
  });

  it('refuses a file that is not a map of ids to classes, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-legacy-'));
    const store = openTestStore(join(dir, 'nimbusd.sqlite'));
    try {
      writeFileSync(join(dir, LEGACY_CLASS_FILE), '[1, 2]');
      expect(() => importLegacyClassAssignments(store, dir)).toThrow(new RegExp(`${LEGACY_CLASS_FILE} must map machine ids to class ids`));
      writeFileSync(join(dir, LEGACY_CLASS_FILE), '{nope');
      expect(() => importLegacyClassAssignments(store, dir)).toThrow(/is not valid JSON/);
    } finally {
      store.close();
    }
  });
});
