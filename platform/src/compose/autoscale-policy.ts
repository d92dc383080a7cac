import type { AutoscaleMetric, AutoscalePolicy } from './model.js';

/** The metrics a policy may target, with the words events and messages use for them. */
export const AUTOSCALE_METRICS: Record<AutoscaleMetric, { label: string; unit: string }> = {
  rps_per_instance: { label: 'rps/instance', unit: '' },
  p95_ms: { label: 'p95', unit: ' ms' },
  cpu_percent: { label: 'cpu/instance', unit: ' %' },
};

/**
 * Workshop-sized stabilisation windows: HPA waits 0 s before scaling up and 300 s before scaling down; five minutes of
 * a quiet service holding its instances is longer than a lab step, so scale-down waits 30 s here.
 */
export const DEFAULT_SCALE_UP_WINDOW_MS = 0;
export const DEFAULT_SCALE_DOWN_WINDOW_MS = 30_000;

type Fail = (path: (string | number)[], message: string) => never;
type Duration = (value: unknown, fallbackMs: number, path: (string | number)[]) => number;

/**
 * `x-tall.autoscale: { min, max, target: { <metric>: <value> }, scale_up_window, scale_down_window }`, after the schema
 * saw to the types: the rules between the values, each failing at its own line.
 */
export function parseAutoscale(raw: Record<string, unknown>, service: { route: string | false }, fail: Fail, duration: Duration): AutoscalePolicy {
  const at = (...path: string[]) => ['x-tall', 'autoscale', ...path];
  const min = (raw.min as number | undefined) ?? 1;
  const max = (raw.max as number | undefined) ?? 5;
  if (min < 1) fail(at('min'), `x-tall.autoscale.min must be at least 1, got ${min} (the autoscaler never scales a service to zero)`);
  if (min > max) fail(at('max'), `x-tall.autoscale.max (${max}) is below min (${min}); make max at least ${min}`);
  const known = Object.keys(AUTOSCALE_METRICS).join(', ');
  const target = (raw.target ?? {}) as Record<string, unknown>;
  const metrics = Object.keys(target);
  if (metrics.length === 0) fail(at('target'), `x-tall.autoscale needs a target, one of: ${known}; e.g. target: { rps_per_instance: 30 }`);
  if (metrics.length > 1) fail(at('target', metrics[1]!), `x-tall.autoscale.target has ${metrics.length} metrics (${metrics.join(', ')}); the kit's autoscaler follows one: keep one of them`);
  const metric = metrics[0]!;
  if (!(metric in AUTOSCALE_METRICS)) fail(at('target', metric), `x-tall.autoscale.target: "${metric}" is not a metric the autoscaler knows (known: ${known})`);
  const value = target[metric] as number;
  if (!(value > 0)) fail(at('target', metric), `x-tall.autoscale.target.${metric} must be a number greater than 0, got ${value}`);
  if (metric !== 'cpu_percent' && service.route === false) {
    fail(at('target', metric), `x-tall.autoscale.target.${metric} is measured by the router, but this service is not routed (x-tall.route: false); route it, or target cpu_percent`);
  }
  return {
    min,
    max,
    metric: metric as AutoscaleMetric,
    target: value,
    scaleUpWindowMs: duration(raw.scale_up_window, DEFAULT_SCALE_UP_WINDOW_MS, at('scale_up_window')),
    scaleDownWindowMs: duration(raw.scale_down_window, DEFAULT_SCALE_DOWN_WINDOW_MS, at('scale_down_window')),
  };
}
