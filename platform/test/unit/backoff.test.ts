import { describe, expect, it } from 'vitest';
import { CrashCounter, restartDelay, WORKSHOP_BACKOFF } from '../../src/failover/backoff.js';

describe('restart backoff (Cloud Foundry shape, workshop timings)', () => {
  it('restarts the first three crashes at once, then doubles from 1 s up to the 30 s cap', () => {
    const delays = Array.from({ length: 12 }, (_, i) => restartDelay(i + 1));
    expect(delays).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it('forgives past crashes once an instance has run long enough', () => {
    let now = 0;
    const counter = new CrashCounter(WORKSHOP_BACKOFF, () => now);
    counter.started();
    for (let i = 0; i < 5; i++) counter.crashed();
    expect(counter.count).toBe(5);
    counter.started();
    now += WORKSHOP_BACKOFF.resetAfterMs - 1;
    expect(counter.crashed()).toBe(4000); // the 6th crash in a row: still backing off
    counter.started();
    now += WORKSHOP_BACKOFF.resetAfterMs;
    expect(counter.crashed()).toBe(0); // ran a full minute: counted as the first crash again
    expect(counter.count).toBe(1);
  });
});
