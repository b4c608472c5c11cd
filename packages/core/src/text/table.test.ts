import { describe, expect, it } from 'vitest';
import { renderTable } from './table.ts';

describe('renderTable', () => {
  it('pads every column but the last to its widest cell and trims line ends', () => {
    expect(renderTable(['ID', 'NAME'], [['a', 'Alpha'], ['beta', ''], ['c']])).toBe('ID    NAME\na     Alpha\nbeta\nc');
  });
});
