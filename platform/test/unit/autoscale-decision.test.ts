import { describe, expect, it } from 'vitest';
import { decide, emptyMemory, type Decision, type DecisionMemory } from '../../src/autoscaling/decision.js';
import type { AutoscalePolicy } from '../../src/compose/model.js';

const policy = (extra: Partial<AutoscalePolicy> = {}): AutoscalePolicy => ({
  min: 1, max: 10, metric: 'rps_per_instance', target: 30, scaleUpWindowMs: 0, scaleDownWindowMs: 30_000, ...extra,
});

/** Drives the decision as the loop does, on a fake clock: each reading at its time, acting on every change. */
class FakeLoop {
  now = 0;
  replicas: number;
  memory: DecisionMemory = emptyMemory();

  constructor(private readonly settings: AutoscalePolicy, replicas = 1) {
    this.replicas = replicas;
  }

  /** A reading of `perInstance` after `afterMs`, measured on every instance. */
  read(perInstance: number | undefined, afterMs = 2000): Decision {
    this.now += afterMs;
    const decision = decide(this.settings, this.memory, { now: this.now, replicas: this.replicas, measuredOn: this.replicas, value: perInstance });
    this.memory = decision.memory;
    this.replicas = decision.desired;
    return decision;
  }
}

describe('the autoscaler\'s decision (HPA\'s rules, on a fake clock)', () => {
  it('desired = ceil(instances × current / target)', () => {
    const loop = new FakeLoop(policy(), 2);
    expect(loop.read(48)).toMatchObject({ raw: 4, desired: 4 }); // 2 × 48/30 = 3.2 → 4
  });

  it('a value within 10 % of the target changes nothing, either way', () => {
    expect(new FakeLoop(policy(), 3).read(32.9)).toMatchObject({ desired: 3, limitedBy: 'tolerance' });
    expect(new FakeLoop(policy(), 3).read(27.1)).toMatchObject({ desired: 3, limitedBy: 'tolerance' });
    expect(new FakeLoop(policy(), 3).read(33.6)).toMatchObject({ desired: 4 });
  });

  it('is clamped to [min, max]', () => {
    expect(new FakeLoop(policy({ max: 5 }), 2).read(300)).toMatchObject({ raw: 20, desired: 5, limitedBy: 'max' });
    expect(new FakeLoop(policy({ min: 2, scaleDownWindowMs: 0 }), 4).read(0)).toMatchObject({ raw: 0, desired: 2, limitedBy: 'min' });
    // when the window and the bound agree, the bound is the reason given
    const idle = new FakeLoop(policy({ scaleDownWindowMs: 4000 }), 2);
    idle.read(10); // 2 × 10/30 → 1 recommended
    expect(idle.read(0)).toMatchObject({ raw: 0, desired: 1, limitedBy: 'min' });
    // a count outside the bounds (set before the policy) is brought within them even without a figure
    expect(new FakeLoop(policy({ max: 3 }), 6).read(undefined)).toMatchObject({ desired: 3, limitedBy: 'no-metric' });
  });

  it('scales up at most max(4 instances, 100 %) within 15 s', () => {
    const loop = new FakeLoop(policy({ max: 50 }), 1);
    expect(loop.read(600)).toMatchObject({ raw: 20, desired: 5, limitedBy: 'rate' }); // 1 + 4
    expect(loop.read(120)).toMatchObject({ raw: 20, desired: 5, limitedBy: 'rate' }); // still within the same 15 s
    loop.now += 15_000;
    expect(loop.read(120)).toMatchObject({ raw: 20, desired: 10, limitedBy: 'rate' }); // 100 % of 5
  });

  it('scale-down waits for the highest recommendation of its window: a dip never takes instances away', () => {
    const loop = new FakeLoop(policy({ scaleDownWindowMs: 10_000 }), 4);
    expect(loop.read(30).desired).toBe(4);
    expect(loop.read(5)).toMatchObject({ raw: 1, desired: 4, limitedBy: 'window' });
    expect(loop.read(30).desired).toBe(4); // load back: it was right to keep them
    for (let i = 0; i < 4; i++) expect(loop.read(5).desired).toBe(4); // 8 s of low load: 4 was recommended 8 s ago
    expect(loop.read(5)).toMatchObject({ desired: 1 }); // 10 s after the last 4: down to what the window allows
  });

  it('scale-up waits for the lowest recommendation of its window when one is set', () => {
    const loop = new FakeLoop(policy({ scaleUpWindowMs: 6000 }), 1);
    expect(loop.read(90)).toMatchObject({ raw: 3, desired: 3 }); // the window holds only this reading: nothing lower
    const spiky = new FakeLoop(policy({ scaleUpWindowMs: 6000 }), 1);
    expect(spiky.read(30).desired).toBe(1);
    expect(spiky.read(90)).toMatchObject({ raw: 3, desired: 1, limitedBy: 'window' });
    expect(spiky.read(90).desired).toBe(1);
    expect(spiky.read(90).desired).toBe(3); // 6 s of high load: the 1 left the window
  });

  it('does not flap under a load that hovers around the target', () => {
    const loop = new FakeLoop(policy(), 3);
    const counts: number[] = [];
    // 90 req/s ± 27 %, spread over the instances there are, read every 2 s for 2 minutes
    for (let i = 0; i < 60; i++) counts.push(loop.read((90 + 24 * Math.sin(i)) / loop.replicas).desired);
    const changes = counts.filter((count, i) => i > 0 && count !== counts[i - 1]).length;
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    // up when the load rises, then held by the 30 s down window: one change, not one every swing
    expect(changes).toBeLessThanOrEqual(1);
  });

  it('no figure (no ready instance, no reading): no change', () => {
    const loop = new FakeLoop(policy(), 3);
    expect(decide(policy(), loop.memory, { now: 1, replicas: 3, measuredOn: 0, value: 99 })).toMatchObject({ desired: 3, limitedBy: 'no-metric' });
  });
});
