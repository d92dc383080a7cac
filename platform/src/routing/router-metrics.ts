import { Counter, Registry, type Metric } from 'prom-client';

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

interface RequestCount {
  service: string;
  instance: string;
  code: string;
  count: number;
}

interface Durations {
  /** per bucket (not cumulative), the last one +Inf */
  counts: number[];
  sum: number;
  count: number;
}

const DURATION_NAME = 'tall_http_request_duration_seconds';

/**
 * The RED figures of every route, as the router sees them (rate: the request counter; errors: its `code` label;
 * duration: the histogram), per service and per instance, plus what the router had to do about failures. Kept in the
 * router's thread; the control plane asks for the text and serves it with its own at /metrics.
 *
 * A request costs two plain additions here: prom-client's own counters hash and check their labels on every call,
 * which the router can't afford thousands of times a second. The figures become prom-client metrics only when they
 * are read (a counter filled at collect time, and a histogram that reports its own buckets).
 */
export class RouterMetrics {
  readonly registry = new Registry();
  private readonly counts = new Map<string, RequestCount>();
  private readonly durations = new Map<string, Durations>();
  private readonly interventions: Counter<'service' | 'kind'>;

  constructor() {
    const counts = this.counts;
    new Counter({
      name: 'tall_http_requests_total',
      help: 'Requests through the router, by service, instance and status code (instance "-" when none was reached)',
      labelNames: ['service', 'instance', 'code'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { service, instance, code, count } of counts.values()) this.inc({ service, instance, code }, count);
      },
    });
    this.registry.registerMetric(this.durationHistogram() as unknown as Metric);
    this.interventions = new Counter({
      name: 'tall_router_interventions_total',
      help: 'What the router did about failing requests: retry, hedge, failed, timeout, no-instance, ejected',
      labelNames: ['service', 'kind'] as const,
      registers: [this.registry],
    });
  }

  request(service: string, instance: string | undefined, status: number, seconds: number): void {
    const key = `${service}\u0000${instance ?? '-'}\u0000${status}`;
    const counted = this.counts.get(key);
    if (counted) counted.count++;
    else this.counts.set(key, { service, instance: instance ?? '-', code: String(status), count: 1 });
    let durations = this.durations.get(service);
    if (!durations) this.durations.set(service, (durations = { counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++;
    durations.counts[bucket]!++;
    durations.sum += seconds;
    durations.count++;
  }

  intervention(service: string, kind: string): void {
    this.interventions.inc({ service, kind });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Every service's totals so far (the same figures /metrics shows). */
  async totals(): Promise<Record<string, RedTotals>> {
    const totals: Record<string, RedTotals> = {};
    for (const [service, durations] of this.durations) totals[service] = { requests: 0, errors: 0, buckets: cumulative(durations.counts) };
    for (const { service, code, count } of this.counts.values()) {
      const total = totals[service]!;
      total.requests += count;
      if (Number(code) >= 500) total.errors += count;
    }
    return totals;
  }

  /** The duration histogram as prom-client's registry reads a metric: name, help, type and values (buckets cumulative). */
  private durationHistogram() {
    const durations = this.durations;
    return {
      name: DURATION_NAME,
      help: 'Time from a request reaching the router to the end of its answer, by service',
      type: 'histogram',
      aggregator: 'sum',
      reset: () => durations.clear(),
      get: async () => ({
        name: DURATION_NAME,
        help: 'Time from a request reaching the router to the end of its answer, by service',
        type: 'histogram',
        aggregator: 'sum',
        values: [...durations].flatMap(([service, { counts, sum, count }]) => [
          ...cumulative(counts).map((value, i) => ({ metricName: `${DURATION_NAME}_bucket`, labels: { service, le: i < DURATION_BUCKETS.length ? DURATION_BUCKETS[i]! : '+Inf' }, value })),
          { metricName: `${DURATION_NAME}_sum`, labels: { service }, value: sum },
          { metricName: `${DURATION_NAME}_count`, labels: { service }, value: count },
        ]),
      }),
    };
  }
}

function cumulative(counts: number[]): number[] {
  let running = 0;
  return counts.map((count) => (running += count));
}
