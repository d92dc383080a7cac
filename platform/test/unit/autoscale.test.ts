import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Autoscaler, type AutoscaleStatus, type ScalingTarget } from '../../src/autoscaling/autoscaler.js';
import { ProcessGroupCpu } from '../../src/autoscaling/cpu-usage.js';
import { ComposeError } from '../../src/compose/errors.js';
import type { ServiceSpec } from '../../src/compose/model.js';
import { parseCompose } from '../../src/compose/parse-compose.js';
import type { InstanceView } from '../../src/control-plane/instance.js';
import { DURATION_BUCKETS, type RedTotals } from '../../src/routing/router-metrics.js';

function parseService(xTall: string[]): ServiceSpec {
  const dir = mkdtempSync(join(tmpdir(), 'autoscale-compose-'));
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, ['services:', '  web:', '    image: x', '    x-tall:', ...xTall.map((line) => `      ${line}`), ''].join('\n'));
  return parseCompose(file, { env: {} }).services[0]!;
}

function problems(xTall: string[]): string[] {
  try {
    parseService(xTall);
  } catch (error) {
    if (error instanceof ComposeError) return error.problems.map((problem) => problem.message.replace(/^.*compose\.yaml:/, ''));
    throw error;
  }
  throw new Error('expected a ComposeError');
}

describe('x-tall.autoscale in the compose file', () => {
  it('reads min, max, one target and the windows, with workshop defaults', () => {
    expect(parseService(['autoscale: { max: 4, target: { p95_ms: 300 }, scale_up_window: 5s }']).tall.autoscale).toEqual({
      min: 1, max: 4, metric: 'p95_ms', target: 300, scaleUpWindowMs: 5000, scaleDownWindowMs: 30_000,
    });
  });

  it('every mistake is an error at its line and column, saying what to write', () => {
    expect(problems(['autoscale: { min: 3, max: 2, target: { rps_per_instance: 30 } }'])).toEqual(['5:28: service "web": x-tall.autoscale.max (2) is below min (3); make max at least 3']);
    expect(problems(['autoscale: { min: 0, target: { rps_per_instance: 30 } }'])).toEqual(['5:20: service "web": x-tall.autoscale.min must be at least 1, got 0 (the autoscaler never scales a service to zero)']);
    expect(problems(['autoscale: { target: { rps: 30 } }'])).toEqual(['5:30: service "web": x-tall.autoscale.target: "rps" is not a metric the autoscaler knows (known: rps_per_instance, p95_ms, cpu_percent)']);
    expect(problems(['autoscale: { target: { cpu_percent: 0 } }'])).toEqual(['5:30: service "web": x-tall.autoscale.target.cpu_percent must be a number greater than 0, got 0']);
    expect(problems(['autoscale: { target: { cpu_percent: 70, p95_ms: 200 } }'])).toEqual(['5:47: service "web": x-tall.autoscale.target has 2 metrics (cpu_percent, p95_ms); the kit\'s autoscaler follows one: keep one of them']);
    expect(problems(['autoscale: { target: { cpu_percent: 70 }, scale_down_window: soon }'])).toEqual(['5:49: service "web": x-tall.autoscale.scale_down_window: "soon" is not a duration (examples: 500ms, 10s, 1m30s)']);
    expect(problems(['autoscale: { min: 1 }'])).toEqual(['5:7: service "web": x-tall.autoscale needs a target, one of: rps_per_instance, p95_ms, cpu_percent; e.g. target: { rps_per_instance: 30 }']);
    expect(problems(['route: false', 'autoscale: { target: { rps_per_instance: 30 } }'])[0]).toMatch(/^6:30: .*measured by the router, but this service is not routed/);
  });
});

/** Router totals as the loop reads them: `requests` so far for the route "web", all answered in under 5 ms. */
const totals = (requests: number): Record<string, RedTotals> => ({ web: { requests, errors: 0, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(requests) } });

class FakePlane implements ScalingTarget {
  readonly scaled: { to: number; reason?: string }[] = [];
  readonly notes: string[] = [];
  status?: AutoscaleStatus;
  desired = 1;

  constructor(readonly project: { services: ServiceSpec[] }) {}

  services() {
    return [{ name: 'web', desired: this.desired }];
  }

  instanceViews(): InstanceView[] {
    return Array.from({ length: this.desired }, (_, i) => ({ service: 'web', index: i + 1, id: `web/${i + 1}`, state: 'running', ready: true, ejected: false, restarts: 0, address: '', startedAt: '', version: 1, standby: false }));
  }

  async scale(_service: string, replicas: number, _timeoutMs?: number, reason?: string) {
    this.scaled.push({ to: replicas, reason });
    this.desired = replicas;
  }

  reportAutoscale(_service: string, status: AutoscaleStatus): void {
    this.status = status;
  }

  noteAutoscale(_service: string, reason: string): void {
    this.notes.push(reason);
  }
}

describe('the autoscaler\'s loop', () => {
  it('reads the router\'s rate over its window per ready instance, and scales through the control plane with the reason', async () => {
    const web = parseService(['autoscale: { max: 4, target: { rps_per_instance: 10 }, scale_down_window: 6s }']);
    const plane = new FakePlane({ services: [web] });
    let now = 0;
    let requests = 0;
    const autoscaler = new Autoscaler(plane, { totals: async () => totals(requests) }, { now: () => now, windowMs: 4000 });
    const tick = async (rps: number) => {
      now += 2000;
      requests += rps * 2;
      await autoscaler.tick();
      await new Promise((resolve) => setImmediate(resolve));
    };
    await tick(0);
    expect(plane.status).toMatchObject({ current: null, desired: 1 }); // one reading: no figure yet, no change
    expect(plane.scaled).toEqual([]);
    await tick(25);
    expect(plane.scaled).toEqual([{ to: 3, reason: 'autoscale web: rps/instance 25 > 10 (over 2 s) → 1 → 3' }]);
    await tick(25); // 25 req/s over 3 instances: within reach of the target, nothing changes
    expect(plane.status).toMatchObject({ metric: 'rps_per_instance', target: 10, current: 8.3, desired: 3, min: 1, max: 4 });
    for (let i = 0; i < 2; i++) await tick(0); // the 6 s scale-down window still holds the 3 recommended 4 s ago
    expect(plane.scaled).toHaveLength(1);
    // said once, when the window starts holding, not at every evaluation
    expect(plane.notes).toEqual(['autoscale web: rps/instance 4.2 < 10 (over 4 s) → 3 → 3 (2 wanted; the 6 s scale-down window holds it at 3)']);
    await tick(0); // the window's highest is now the 2 recommended as the load fell (12.5 req/s over the window)
    expect(plane.scaled.at(-1)).toEqual({ to: 2, reason: 'autoscale web: rps/instance 0 < 10 (over 4 s) → 3 → 2 (0 wanted; the 6 s scale-down window holds it at 2)' });
    await tick(0);
    expect(plane.scaled.at(-1)).toEqual({ to: 1, reason: 'autoscale web: rps/instance 0 < 10 (over 4 s) → 2 → 1 (min is 1)' });
  });

  it('the count a service starts with is held for its scale-down window, as if just recommended', async () => {
    const web = parseService(['autoscale: { target: { rps_per_instance: 10 }, scale_down_window: 10s }']);
    const plane = new FakePlane({ services: [web] });
    plane.desired = 3;
    let now = 0;
    const autoscaler = new Autoscaler(plane, { totals: async () => totals(0) }, { now: () => now, intervalMs: 3_600_000 });
    autoscaler.start();
    try {
      for (let i = 0; i < 4; i++) {
        now += 2000;
        await new Promise((resolve) => setImmediate(resolve));
        await autoscaler.tick();
      }
      expect(plane.scaled).toEqual([]); // 8 s idle: the 3 it started with is still within the window
      expect(plane.notes).toEqual(['autoscale web: rps/instance 0 < 10 (over 2 s) → 3 → 3 (0 wanted; the 10 s scale-down window holds it at 3)']);
      now += 2000;
      await autoscaler.tick();
      expect(plane.scaled).toEqual([{ to: 1, reason: 'autoscale web: rps/instance 0 < 10 (over 10 s) → 3 → 1 (min is 1)' }]);
    } finally {
      autoscaler.stop();
    }
  });

  it('a count set by hand (tall scale) stands — above max too — for the scale-down window, at least 30 s, then the policy decides', async () => {
    const web = parseService(['autoscale: { max: 2, target: { rps_per_instance: 10 }, scale_down_window: 5s }']);
    const plane = new FakePlane({ services: [web] });
    let now = 0;
    const autoscaler = new Autoscaler(plane, { totals: async () => totals(0) }, { now: () => now, intervalMs: 3_600_000 });
    let release!: () => void;
    const applied = new Promise<void>((resolve) => (release = resolve));
    const byHand = autoscaler.scaleByHand('web', async () => {
      plane.desired = 3;
      await applied; // instances still starting: the loop must not decide meanwhile
      return 'done';
    });
    for (let i = 0; i < 3; i++) {
      now += 2000;
      await autoscaler.tick();
    }
    expect(plane.scaled).toEqual([]);
    release();
    expect(await byHand).toEqual({ result: 'done', holdMs: 30_000 });
    for (let i = 0; i < 14; i++) {
      now += 2000;
      await autoscaler.tick();
    }
    expect(plane.scaled).toEqual([]); // 28 s idle with 3 > max 2: still the hand's count
    expect(plane.notes).toEqual(['autoscale web: rps/instance 0 < 10 (over 6 s) → 3 → 3 (0 wanted; a count set by hand with "tall scale" stands for 30 s)']);
    now += 2000;
    await autoscaler.tick();
    expect(plane.scaled).toEqual([{ to: 1, reason: 'autoscale web: rps/instance 0 < 10 (over 10 s) → 3 → 1 (min is 1)' }]);
  });

  it('p95_ms: the route\'s p95 over the window, from the router\'s histogram (no requests: 0 ms)', async () => {
    const web = parseService(['autoscale: { max: 4, target: { p95_ms: 100 }, scale_down_window: 0s }']);
    const plane = new FakePlane({ services: [web] });
    let now = 0;
    // every request so far took between 250 and 500 ms: the 95th percentile is 95 % of the way through that bucket
    let slow = 0;
    const read = async () => ({ web: { requests: slow, errors: 0, buckets: DURATION_BUCKETS.map((bound) => (bound >= 0.5 ? slow : 0)).concat(slow) } });
    const autoscaler = new Autoscaler(plane, { totals: read }, { now: () => now, windowMs: 4000 });
    for (const added of [0, 20]) {
      now += 2000;
      slow += added;
      await autoscaler.tick();
    }
    expect(plane.scaled).toEqual([{ to: 4, reason: 'autoscale web: p95 487.5 ms > 100 ms (over 2 s) → 1 → 4 (5 wanted; max is 4)' }]);
    for (let i = 0; i < 3; i++) {
      now += 2000;
      await autoscaler.tick();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(plane.scaled.at(-1)).toEqual({ to: 1, reason: 'autoscale web: p95 0 ms < 100 ms (over 4 s) → 4 → 1 (min is 1)' });
  });
});

describe('CPU per instance on the process runtime', () => {
  it('sums utime + stime over the instance\'s process group between two samples, as a percent of one CPU', async () => {
    const proc = mkdtempSync(join(tmpdir(), 'fake-proc-'));
    // pid (comm) state ppid pgrp … utime stime (fields 14, 15): a leader and its worker in group 100, a stranger in 300
    const write = (pid: number, pgrp: number, ticks: number) => {
      mkdirSync(join(proc, String(pid)), { recursive: true });
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (node server) S 1 ${pgrp} ${pgrp} 0 -1 0 0 0 0 0 ${ticks} ${ticks} 0 0 20 0 1 0 5 0 0`);
    };
    write(100, 100, 0);
    write(101, 100, 0);
    write(300, 300, 500);
    let now = 0;
    const cpu = new ProcessGroupCpu(() => now, proc);
    const instance = { id: 'web/1', pid: 100 } as InstanceView;
    expect(await cpu.sample([instance])).toEqual({ percent: new Map(), overMs: 0 }); // a baseline
    now = 2000;
    write(100, 100, 50); // 100 ticks = 1 s at 100 ticks a second, per process (utime + stime)
    write(101, 100, 25);
    const busy = await cpu.sample([instance]);
    expect(busy.overMs).toBe(2000);
    expect(busy.percent.get('web/1')).toBeCloseTo(75, 5); // 1.5 CPU-seconds in 2 s
  });
});
