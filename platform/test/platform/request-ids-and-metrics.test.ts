import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error the parser ships no types
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TallSandbox, waitFor } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';

interface Family { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[] }

describe('request ids, access lines and metrics (process runtime)', () => {
  const tall = new TallSandbox();
  let router: string;
  let metricsUrl: string;

  beforeAll(async () => {
    tall.extraEnv.TALL_PORT = String(await freePort());
    expect((await tall.run(['up', '--runtime', 'process'])).code).toBe(0);
    const ps = await tall.json<{ routerUrl: string; metricsUrl: string }>(['ps']);
    router = ps.routerUrl;
    metricsUrl = ps.metricsUrl;
  });
  afterAll(async () => {
    await tall.run(['down']);
  });

  it('every request gets an id, passed to the instance and returned; a caller\'s own id is kept', async () => {
    const fresh = await fetch(`${router}/echo/x`);
    const id = fresh.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await fresh.json()) as { requestId: string }).requestId).toBe(id);
    const mine = await fetch(`${router}/echo/y`, { headers: { 'x-request-id': 'order-4711' } });
    expect(mine.headers.get('x-request-id')).toBe('order-4711');
    expect(((await mine.json()) as { requestId: string }).requestId).toBe('order-4711');
  });

  it('writes an access line per request: id, route, path, instance, status, duration', async () => {
    await fetch(`${router}/echo/z`, { headers: { 'x-request-id': 'access-check-1' } });
    const line = await waitFor('the access line', async () => {
      const text = readFileSync(join(tall.stateDir, 'default', 'access.jsonl'), 'utf8');
      return text.split('\n').filter(Boolean).map((entry) => JSON.parse(entry) as Record<string, unknown>).find((entry) => entry.id === 'access-check-1');
    }, 5000);
    expect(line).toMatchObject({ method: 'GET', route: 'echo', path: '/z', status: 200, instance: expect.stringMatching(/^echo\/\d$/) });
    expect(typeof line.ms).toBe('number');
  });

  it('serves RED metrics per service and instance, and the platform\'s own, in a format Prometheus parses', async () => {
    for (let i = 0; i < 5; i++) await fetch(`${router}/echo/`);
    await fetch(`${router}/echo/sleep?ms=10`);
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(metricsUrl)).text();
    const families = parsePrometheusTextFormat(text) as Family[];
    const byName = new Map(families.map((family) => [family.name, family]));
    const requests = byName.get('tall_http_requests_total')!;
    expect(requests.type).toBe('COUNTER');
    const ok = requests.metrics.filter((metric) => metric.labels?.service === 'echo' && metric.labels.code === '200');
    expect(ok.reduce((sum, metric) => sum + Number(metric.value), 0)).toBeGreaterThanOrEqual(6);
    expect(new Set(ok.map((metric) => metric.labels!.instance))).toEqual(new Set(['echo/1', 'echo/2']));
    expect(byName.get('tall_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const ready = byName.get('tall_instance_ready')!.metrics.filter((metric) => metric.labels?.service === 'echo');
    expect(ready.map((metric) => [metric.labels!.instance, metric.value]).sort()).toEqual([['echo/1', '1'], ['echo/2', '1']]);
    expect(byName.get('tall_service_desired_instances')!.metrics.find((metric) => metric.labels?.service === 'echo')?.value).toBe('2');
  });

  it('scrapes each instance\'s own metrics (x-tall.metrics_path) and serves them with an instance label', async () => {
    const families = await waitFor('the instances\' own metrics at /metrics', async () => {
      const parsed = parsePrometheusTextFormat(await (await fetch(metricsUrl)).text()) as Family[];
      const served = parsed.find((family) => family.name === 'echo_requests_total');
      return served && served.metrics.length === 2 ? parsed : undefined;
    }, 20_000);
    const byName = new Map(families.map((family) => [family.name, family]));
    expect(byName.get('echo_requests_total')!.type).toBe('COUNTER');
    expect(byName.get('echo_requests_total')!.metrics.map((metric) => metric.labels!.instance).sort()).toEqual(['echo/1', 'echo/2']);
    // The instance's own "instance" label is kept as exported_instance, as Prometheus does.
    expect(byName.get('echo_info')!.metrics.map((metric) => [metric.labels!.instance, metric.labels!.exported_instance]).sort()).toEqual([['echo/1', '1'], ['echo/2', '2']]);
    const up = byName.get('tall_instance_scrape_up')!.metrics.map((metric) => [metric.labels!.instance, metric.value]).sort();
    expect(up).toEqual([['echo/1', '1'], ['echo/2', '1']]);
  });

  it('a failing scrape is a gauge and an event, not a crash: the rest is still served', async () => {
    const broken = (await fetch(`${router}/echo/break-metrics`)).headers.get('x-instance')!;
    const healthy = broken === 'echo/1' ? 'echo/2' : 'echo/1';
    const families = await waitFor('tall_instance_scrape_up 0', async () => {
      const parsed = parsePrometheusTextFormat(await (await fetch(metricsUrl)).text()) as Family[];
      const up = parsed.find((family) => family.name === 'tall_instance_scrape_up')?.metrics.find((metric) => metric.labels?.instance === broken);
      return up?.value === '0' ? parsed : undefined;
    }, 20_000);
    const served = families.find((family) => family.name === 'echo_requests_total')!.metrics.map((metric) => metric.labels!.instance);
    expect(served).toEqual([healthy]);
    const events = await tall.json<{ type: string; instance?: string; message: string }[]>(['events']);
    const failing = events.find((event) => event.type === 'metrics-failing' && event.instance === broken);
    expect(failing?.message).toContain('answered 500');
    const ps = await tall.json<{ instances: { id: string; state: string; restarts: number }[] }>(['ps']);
    expect(ps.instances.find((instance) => instance.id === broken)).toMatchObject({ state: 'running', restarts: 0 });
  });
});
