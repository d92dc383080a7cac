import { Counter, Histogram, Registry } from 'prom-client';

/** The request duration histogram's upper bounds, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Running totals of one service, for the dashboard to turn into rates between two snapshots. */
export interface RedTotals {
  requests: number;
  /** answers with a 5xx status (the router's own 502/503/504 included) */
  errors: number;
  /** cumulative counts per DURATION_BUCKETS bound, then +Inf */
  buckets: number[];
}

/**
 * The RED figures of every route, as the router sees them (rate: the request counter; errors: its `code` label;
 * duration: the histogram), per service and per instance, plus what the router had to do about failures. Kept in the
 * router's thread; the control plane asks for the text and serves it with its own at /metrics.
 */
export class RouterMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'tall_http_requests_total',
    help: 'Requests through the router, by service, instance and status code (instance "-" when none was reached)',
    labelNames: ['service', 'instance', 'code'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'tall_http_request_duration_seconds',
    help: 'Time from a request reaching the router to the end of its answer, by service',
    labelNames: ['service'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly interventions = new Counter({
    name: 'tall_router_interventions_total',
    help: 'What the router did about failing requests: retry, hedge, failed, timeout, no-instance, ejected',
    labelNames: ['service', 'kind'] as const,
    registers: [this.registry],
  });

  request(service: string, instance: string | undefined, status: number, seconds: number): void {
    this.requests.inc({ service, instance: instance ?? '-', code: String(status) });
    this.duration.observe({ service }, seconds);
  }

  intervention(service: string, kind: string): void {
    this.interventions.inc({ service, kind });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Every service's totals so far (read from the same counters /metrics shows). */
  async totals(): Promise<Record<string, RedTotals>> {
    const totals: Record<string, RedTotals> = {};
    const of = (service: string) => (totals[service] ??= { requests: 0, errors: 0, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0) });
    for (const { labels, value } of (await this.requests.get()).values) {
      const service = of(String(labels.service));
      service.requests += value;
      if (Number(labels.code) >= 500) service.errors += value;
    }
    for (const { labels, value, metricName } of (await this.duration.get()).values) {
      if (metricName !== 'tall_http_request_duration_seconds_bucket') continue;
      const le = (labels as { le?: string | number }).le;
      const bound = le === '+Inf' ? DURATION_BUCKETS.length : DURATION_BUCKETS.indexOf(Number(le));
      if (bound >= 0) of(String(labels.service)).buckets[bound] = value;
    }
    return totals;
  }
}
