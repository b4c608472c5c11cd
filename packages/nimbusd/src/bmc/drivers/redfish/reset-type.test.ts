import { describe, expect, it } from 'vitest';
import { BmcUnsupportedError } from '../../errors.ts';
import type { PowerAction, PowerState } from '../../power.ts';
import { DEFAULT_RESET_TYPES, resetTypesFor, toPowerState } from './reset-type.ts';

const MOCKUP = ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'ForceOn', 'PushPowerButton'];
const WITH_CYCLE = [...MOCKUP, 'PowerCycle'];

describe('resetTypesFor', () => {
  it.each<[PowerAction, PowerState, string[], string[]]>([
    ['on', 'on', MOCKUP, []],
    ['on', 'off', MOCKUP, ['On']],
    ['on', 'off', ['ForceOn', 'ForceOff'], ['ForceOn']],
    ['off', 'off', MOCKUP, []],
    ['off', 'on', MOCKUP, ['ForceOff']],
    ['soft-off', 'on', MOCKUP, ['GracefulShutdown']],
    ['soft-off', 'off', MOCKUP, []],
    ['cycle', 'on', WITH_CYCLE, ['PowerCycle']],
    ['cycle', 'on', MOCKUP, ['ForceOff', 'On']],
    ['cycle', 'off', MOCKUP, ['On']],
    ['reset', 'on', MOCKUP, ['ForceRestart']],
    ['reset', 'off', MOCKUP, ['On']],
  ])('%s from %s picks %j', (action, state, allowed, expected) => {
    // (the third column is the allowed list; the test name shows only the first entries)
    expect(resetTypesFor(action, state, allowed)).toEqual(expected);
  });

  it('never acts on an unknown power state', () => {
    for (const action of ['on', 'off', 'cycle', 'reset', 'soft-off'] as const) {
      expect(() => resetTypesFor(action, 'unknown', MOCKUP)).toThrow(BmcUnsupportedError);
    }
  });

  it('says what the BMC allows when nothing fits', () => {
    expect(() => resetTypesFor('reset', 'on', ['On', 'ForceOff'])).toThrow(/allows On, ForceOff/);
    expect(() => resetTypesFor('off', 'on', ['On'])).toThrow(BmcUnsupportedError);
  });

  it('has a default list that covers every action', () => {
    for (const action of ['on', 'off', 'cycle', 'reset', 'soft-off'] as const) expect(resetTypesFor(action, 'on', DEFAULT_RESET_TYPES)).toBeDefined();
  });
});

describe('toPowerState', () => {
  it.each([
    ['On', 'on'],
    ['PoweringOn', 'on'],
    ['Off', 'off'],
    ['PoweringOff', 'off'],
    ['Paused', 'unknown'],
    [undefined, 'unknown'],
    [42, 'unknown'],
  ])('%s → %s', (input, expected) => {
    expect(toPowerState(input)).toBe(expected);
  });
});
