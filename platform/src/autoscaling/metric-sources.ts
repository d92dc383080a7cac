import type { AutoscalePolicy, ServiceSpec } from '../compose/model.js';
import type { InstanceView } from '../control-plane/instance.js';
import type { CpuSample } from './cpu-usage.js';
import { pointBetween, slideWindow, type TotalsReading } from '../monitoring/dashboard/red-sampler.js';

/** One reading of an autoscaled service's metric, and what it was measured on. */
export interface Measurement {
  /** undefined: no figure yet (a single reading of the router, no CPU sample) */
  value: number | undefined;
  /** the instances the value is per (HPA: the ready pods) */
  measuredOn: number;
  /** the span of time the value is over, for the event's reason */
  overMs: number;
}

/**
 * The router's figures over the last `windowMs`, from its running totals (the same RED figures /metrics and the
 * dashboard show): each reading is the totals at a time, a figure the difference between the oldest and newest kept.
 */
export class RouterWindow {
  private readonly readings: TotalsReading[] = [];

  constructor(private readonly windowMs: number) {}

  add(reading: TotalsReading): void {
    slideWindow(this.readings, reading, this.windowMs);
  }

  /** Requests a second and p95 (ms; null without requests) of a route over the window. */
  figures(route: string): { rate: number; p95Ms: number | null; overMs: number } | undefined {
    if (this.readings.length < 2) return undefined;
    const first = this.readings[0]!;
    const last = this.readings.at(-1)!;
    const figures = pointBetween(first, last, [route]).routes[route]!;
    return { rate: figures.rate, p95Ms: figures.p95Ms, overMs: last.t - first.t };
  }
}

/**
 * The value a policy's metric has now. rps_per_instance: the route's rate over the window shared by its ready
 * instances. p95_ms: the route's p95 over the window, a figure of the whole service (HPA's Object metric with a Value
 * target); a window without requests counts as 0 ms, so an idle service can scale in. cpu_percent: the average over
 * ready instances of the CPU each used, as a percent of its CPU limit (HPA's Utilization of the request).
 */
export function measure(service: ServiceSpec, policy: AutoscalePolicy, instances: readonly InstanceView[], window: RouterWindow, cpu: CpuSample): Measurement {
  const ready = instances.filter((instance) => instance.service === service.name && instance.ready);
  if (policy.metric === 'cpu_percent') {
    const samples = ready.flatMap((instance) => (cpu.percent.has(instance.id) ? [cpu.percent.get(instance.id)! / service.limits.cpus] : []));
    const value = samples.length ? samples.reduce((sum, sample) => sum + sample, 0) / samples.length : undefined;
    return { value, measuredOn: samples.length, overMs: cpu.overMs };
  }
  const figures = service.tall.route ? window.figures(service.tall.route) : undefined;
  if (!figures) return { value: undefined, measuredOn: ready.length, overMs: 0 };
  const value = policy.metric === 'rps_per_instance' ? figures.rate / Math.max(ready.length, 1) : (figures.p95Ms ?? 0);
  return { value, measuredOn: ready.length, overMs: figures.overMs };
}
