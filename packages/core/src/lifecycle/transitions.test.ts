import { describe, expect, it } from 'vitest';
import { MACHINE_STATES, isMachineState, type MachineState } from './machine-state.ts';
import { allowedTransitions, canTransition, checkTransition, nextStates } from './transitions.ts';

const LIFECYCLE_STEPS: Array<[MachineState, MachineState]> = [
  ['enrolled', 'inspecting'],
  ['inspecting', 'ready'],
  ['ready', 'allocated'],
  ['allocated', 'deploying'],
  ['allocated', 'releasing'],
  ['deploying', 'deployed'],
  ['deployed', 'releasing'],
  ['releasing', 'ready'],
];
const TO_ERROR = MACHINE_STATES.filter((s) => s !== 'error').map((s) => [s, 'error'] as [MachineState, MachineState]);
const RETRIES: Array<[MachineState, MachineState]> = [
  ['error', 'inspecting'],
  ['error', 'deploying'],
  ['error', 'releasing'],
];

describe('machine lifecycle transitions', () => {
  it.each([...LIFECYCLE_STEPS, ...TO_ERROR, ...RETRIES])('allows %s → %s', (from, to) => {
    expect(checkTransition(from, to)).toEqual({ allowed: true });
    expect(canTransition(from, to)).toBe(true);
  });

  it('allows exactly those transitions and no others', () => {
    const expected = [...LIFECYCLE_STEPS, ...TO_ERROR, ...RETRIES].map(([a, b]) => `${a}→${b}`).sort();
    expect(allowedTransitions().map(([a, b]) => `${a}→${b}`).sort()).toEqual(expected);
  });

  it.each<[MachineState, MachineState, RegExp]>([
    ['enrolled', 'ready', /enrolled → ready is not a lifecycle step; from enrolled a machine can go to inspecting, error/],
    ['ready', 'deployed', /ready → deployed is not a lifecycle step/],
    ['deployed', 'ready', /from deployed a machine can go to releasing, error/],
    ['releasing', 'allocated', /releasing → allocated/],
    ['inspecting', 'enrolled', /inspecting → enrolled/],
    ['error', 'ready', /a machine in error can only be retried to inspecting, deploying, releasing, not ready/],
    ['error', 'deployed', /not deployed/],
    ['error', 'error', /already error/],
    ['ready', 'ready', /already ready/],
  ])('refuses %s → %s and says why', (from, to, reason) => {
    const verdict = checkTransition(from, to);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toMatch(reason);
    expect(canTransition(from, to)).toBe(false);
  });

  it('lists the next states of each state, error last', () => {
    expect(nextStates('ready')).toEqual(['allocated', 'error']);
    expect(nextStates('error')).toEqual(['inspecting', 'deploying', 'releasing']);
  });

  it('recognises state names and nothing else', () => {
    expect(isMachineState('deploying')).toBe(true);
    expect(isMachineState('Ready')).toBe(false);
    expect(isMachineState(3)).toBe(false);
  });
});
