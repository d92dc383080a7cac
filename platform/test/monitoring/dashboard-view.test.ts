import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labStatusReader } from '../../src/monitoring/dashboard/lab-status.js';
import type { PlatformState } from '../../src/control-plane/state-file.js';
import type { InstanceView as DataServiceView } from '../../src/data-services/broker.js';
import { dashboardView } from '../../src/monitoring/dashboard/dashboard-view.js';
import { MASK, maskText } from '../../src/monitoring/dashboard/mask.js';
import { pointBetween, quantileMs } from '../../src/monitoring/dashboard/red-sampler.js';
import { DURATION_BUCKETS } from '../../src/routing/router-metrics.js';
import type { ActiveChaos } from '../../src/chaos/chaos-request.js';

const state = (extra: Record<string, unknown> = {}): PlatformState => ({
  env: 'default', runtime: 'process', pid: 1, phase: 'running', startedAt: '2025-01-01T00:00:00.000Z', composeFile: '/x/compose.yaml', projectName: 'x',
  routerUrl: 'http://127.0.0.1:8080', api: { port: 1234, token: 'the-api-token-0123456789' }, progress: [], warnings: [],
  services: [{ name: 'catalog', route: 'catalog', balance: 'round-robin', desired: 2, ready: 2 }],
  instances: [{ service: 'catalog', index: 1, id: 'catalog/1', state: 'running', ready: true, ejected: false, version: 1, standby: false, restarts: 0, address: '127.0.0.1:4000', pid: 99, pidStartTime: '5', startedAt: '2025-01-01T00:00:00.000Z' }],
  ...extra,
} as PlatformState);

const view = (dataServices: readonly DataServiceView[] = [], chaos: readonly ActiveChaos[] = []) => dashboardView({ state: () => state(), dataServices: () => dataServices, chaos: () => chaos, events: () => [], vitals: () => ({}), scraped: new Set(['catalog']), lab: () => undefined });

describe('what the dashboard shows', () => {
  it('never the API token, pids or environment; no data services when the broker has none', () => {
    const shown = view();
    expect(JSON.stringify(shown)).not.toContain('the-api-token');
    expect(shown.instances[0]).not.toHaveProperty('pid');
    expect(shown.instances[0]).toMatchObject({ version: 1, standby: false });
    expect(shown.dataServices).toEqual([]);
    expect(shown.services[0]).toMatchObject({ name: 'catalog', metrics: true });
    expect(shown.lab).toBeNull();
  });

  it('data services with what is bound to them, no pid or storage path, and a URL\'s password masked even if the broker forgot', () => {
    const shown = view([{
      name: 'orders-db', service: 'postgres', plan: 'small', planDescription: '', createdAt: '', declared: true,
      lastOperation: { type: 'create', state: 'succeeded', description: '', updatedAt: '' }, server: 'running', runtime: 'process',
      url: 'postgres://shop:s3cret@127.0.0.1:5432/orders?sslpassword=x2&application_name=a', pid: 42, storage: '/secret/path',
      bindings: [{ app: 'orders', createdAt: '', declared: true }], resurrections: 1,
    }]);
    const text = JSON.stringify(shown.dataServices);
    for (const hidden of ['s3cret', 'x2', '/secret/path', '42']) expect(text).not.toContain(hidden);
    expect(shown.dataServices).toEqual([{
      name: 'orders-db', service: 'postgres', plan: 'small', server: 'running', operation: 'create succeeded', boundTo: ['orders'], resurrections: 1, queues: [],
      url: `postgres://shop:${MASK}@127.0.0.1:5432/orders?sslpassword=${MASK}&application_name=a`,
    }]);
  });

  it('active chaos, described, with when it ends', () => {
    expect(view().chaos).toEqual([]);
    const shown = view([], [
      { kind: 'latency', service: 'catalog', delayMs: 300, percent: 50, forMs: 30_000, startedAt: '2025-01-01T00:00:00.000Z', endsAt: '2025-01-01T00:00:30.000Z' },
      { kind: 'kill', service: 'catalog', everyMs: 10_000, startedAt: '2025-01-01T00:00:00.000Z', kills: 2 },
    ]);
    expect(shown.chaos).toEqual([
      { kind: 'latency', service: 'catalog', parameters: '300 ms on 50 %', endsAt: '2025-01-01T00:00:30.000Z' },
      { kind: 'kill', service: 'catalog', parameters: 'every 10 s', endsAt: undefined },
    ]);
  });

  it('an autoscaled service\'s metric, target and desired count in a line, with its last change', () => {
    const autoscale = { metric: 'rps_per_instance' as const, target: 30, current: 48.2, desired: 3, min: 1, max: 5, lastChange: 'autoscale catalog: rps/instance 48.2 > 30 (over 10 s) → 2 → 3' };
    const shown = dashboardView({ state: () => state({ services: [{ name: 'catalog', route: 'catalog', balance: 'round-robin', desired: 3, ready: 2, autoscale }] }), dataServices: () => [], events: () => [], vitals: () => ({}), scraped: new Set(), lab: () => undefined, chaos: () => [] });
    expect(shown.services[0]!.autoscale).toEqual({ summary: 'rps/instance 48.2 (target 30) → 3 instances (1–5)', lastChange: autoscale.lastChange });
    expect(view().services[0]).not.toHaveProperty('autoscale');
  });

  it('masks passwords in URLs anywhere', () => {
    expect(maskText('redis://:hunter2@127.0.0.1:6379/0')).toBe(`redis://:${MASK}@127.0.0.1:6379/0`);
    expect(maskText('amqp://guest@127.0.0.1')).toBe('amqp://guest@127.0.0.1');
  });
});

describe('the charts\' figures', () => {
  const cumulative = (perBucket: number[]) => perBucket.reduce<number[]>((sums, n) => [...sums, (sums.at(-1) ?? 0) + n], []);

  it('p95 from histogram buckets, as histogram_quantile computes it', () => {
    expect(quantileMs(new Array(DURATION_BUCKETS.length + 1).fill(0))).toBeNull();
    // 100 requests: 90 under 5 ms, 10 between 10 and 25 ms → the 95th lies halfway through the 10–25 ms bucket.
    const buckets = cumulative([90, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(quantileMs(buckets)).toBeCloseTo(17.5, 5);
    // Past the last bound: that bound.
    expect(quantileMs(cumulative([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]))).toBe(10_000);
  });

  it('rate, error share and p95 between two readings of the totals', () => {
    const empty = new Array(DURATION_BUCKETS.length + 1).fill(0);
    const point = pointBetween(
      { t: 0, totals: { catalog: { requests: 10, errors: 0, buckets: empty } } },
      { t: 5000, totals: { catalog: { requests: 60, errors: 5, buckets: cumulative([50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) } } },
      ['catalog', 'web'],
    );
    expect(point.routes.catalog).toEqual({ rate: 10, errorPct: 10, p95Ms: expect.closeTo(4.75, 5) });
    expect(point.routes.web).toEqual({ rate: 0, errorPct: 0, p95Ms: null });
  });
});

describe('the lab the dashboard shows', () => {
  it('is the current lab with the verdict of its last check, read from .tall/progress.json (and read again when it changes)', () => {
    const work = mkdtempSync(join(tmpdir(), 'tall-lab-status-'));
    const read = labStatusReader(work);
    expect(read()).toMatchObject({ id: '00', status: 'not started' });
    expect(read()!.lastCheck).toBeUndefined();
    mkdirSync(join(work, '.tall'));
    writeFileSync(join(work, '.tall', 'progress.json'), JSON.stringify({
      version: 1, current: '01',
      labs: {
        '00': { status: 'done', attempts: 1, hintsShown: {} },
        '01': { status: 'started', attempts: 2, hintsShown: {}, last: { at: '2026-11-26T10:00:00.000Z', runtime: 'process', ok: false, points: { earned: 4, possible: 10 }, checks: { a: 'passed', b: 'passed', c: 'failed', d: 'skipped' }, messages: {} } },
      },
    }));
    expect(read()).toMatchObject({ id: '01', status: 'started', lastCheck: { ok: false, passed: 2, failed: 1, skipped: 1, points: { earned: 4, possible: 10 } } });
  });

  it('is none when the progress file can\'t be read, which it leaves alone', () => {
    const work = mkdtempSync(join(tmpdir(), 'tall-lab-status-'));
    mkdirSync(join(work, '.tall'));
    writeFileSync(join(work, '.tall', 'progress.json'), '{ torn');
    expect(labStatusReader(work)()).toBeUndefined();
  });
});
