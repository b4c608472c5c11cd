import { describe, expect, it } from 'vitest';
import { formatElapsed, StepTracker } from './follow.ts';
import type { InstanceProgress, RemoteInstance } from './provider-api.ts';

const event = (state: RemoteInstance['state'], phase: string | null, error: InstanceProgress['error'] = null): InstanceProgress => ({
  instance: { id: 'i-1', state, machineId: 'm', idempotencyKey: 'k', request: {}, address: null, phase: phase ? { name: phase, at: '' } : null, createdAt: '' },
  machineState: 'deploying',
  error,
});

describe('following a deploy', () => {
  it('tells each phase once, with the time since following began', () => {
    let t = 0;
    const tracker = new StepTracker(() => t);
    const steps: [string, string][] = [];
    for (const [e, at] of [
      [event('allocated', null), 0],
      [event('deploying', 'power'), 1200],
      [event('deploying', 'power'), 1300],
      [event('deploying', 'pxe'), 5000],
      [event('deploying', 'image'), 9000],
      [event('deploying', 'ssh'), 65_000],
      [event('deployed', null), 70_500],
    ] as const) {
      t = at;
      const step = tracker.see(e);
      if (step) steps.push([formatElapsed(step.elapsedMs), step.step]);
    }
    expect(steps).toEqual([
      ['0.0s', 'allocated'],
      ['1.2s', 'power'],
      ['5.0s', 'pxe'],
      ['9.0s', 'image'],
      ['1m05s', 'ssh'],
      ['1m10s', 'deployed'],
    ]);
  });
  it('shows a failure with the provider’s reason', () => {
    const step = new StepTracker(() => 0).see(event('deploying', 'image', { message: 'the ramdisk reported image_checksum', class: 'image_checksum' }));
    expect(step?.label).toBe('failed: the ramdisk reported image_checksum');
  });
});
