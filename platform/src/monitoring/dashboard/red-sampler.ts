import { DURATION_BUCKETS, type RedTotals } from '../../routing/router-metrics.js';

/** One point of the dashboard's charts: per route, the request rate, the share of errors and the 95th percentile. */
export interface RedPoint {
  /** ms since the epoch */
  t: number;
  routes: Record<string, { rate: number; errorPct: number; p95Ms: number | null }>;
}

/**
 * The 95th percentile of the requests counted in cumulative `buckets` (Prometheus' histogram_quantile: linear within
 * the bucket it falls in; past the last bound, that bound). Null when there were none.
 */
export function quantileMs(buckets: number[], q = 0.95): number | null {
  const count = buckets.at(-1) ?? 0;
  if (count <= 0) return null;
  const rank = q * count;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i]! < rank) continue;
    if (i === DURATION_BUCKETS.length) return DURATION_BUCKETS.at(-1)! * 1000;
    const lower = i === 0 ? 0 : DURATION_BUCKETS[i - 1]!;
    const below = i === 0 ? 0 : buckets[i - 1]!;
    const inBucket = buckets[i]! - below;
    const share = inBucket > 0 ? (rank - below) / inBucket : 1;
    return (lower + (DURATION_BUCKETS[i]! - lower) * share) * 1000;
  }
  return DURATION_BUCKETS.at(-1)! * 1000;
}

/** The router's running totals at a time (ms since the epoch). */
export interface TotalsReading {
  t: number;
  totals: Record<string, RedTotals>;
}

/** The figures between two readings of the totals (routes that are new since count from zero). */
export function pointBetween(before: TotalsReading, after: TotalsReading, routes: string[]): RedPoint {
  const seconds = Math.max((after.t - before.t) / 1000, 0.001);
  const point: RedPoint = { t: after.t, routes: {} };
  for (const route of routes) {
    const now = after.totals[route];
    const then = before.totals[route];
    const requests = (now?.requests ?? 0) - (then?.requests ?? 0);
    const errors = (now?.errors ?? 0) - (then?.errors ?? 0);
    const buckets = (now?.buckets ?? []).map((count, i) => count - (then?.buckets[i] ?? 0));
    point.routes[route] = { rate: requests / seconds, errorPct: requests > 0 ? (100 * errors) / requests : 0, p95Ms: quantileMs(buckets) };
  }
  return point;
}

/**
 * Adds a reading and drops the ones no longer needed for a window of `windowMs` (the oldest kept is the last one at
 * least that old), so that the first and last readings span about the window — as Prometheus' rate(…[window]).
 */
export function slideWindow(readings: TotalsReading[], reading: TotalsReading, windowMs: number): void {
  readings.push(reading);
  while (readings.length > 2 && reading.t - readings[1]!.t >= windowMs) readings.shift();
}

/**
 * Reads the router's totals every second and keeps five minutes of points, each over the last five seconds (as
 * Prometheus' rate(…[5s]) would): smooth enough to read, quick enough to see load arrive.
 */
export class RedSampler {
  private readonly readings: TotalsReading[] = [];
  private readonly points: RedPoint[] = [];
  private timer?: NodeJS.Timeout;
  private reading = false;

  constructor(
    private readonly read: () => Promise<Record<string, RedTotals>>,
    private readonly routes: () => string[],
    private readonly onPoint: (point: RedPoint) => void,
    private readonly options: { intervalMs?: number; windowMs?: number; keep?: number } = {},
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  history(): readonly RedPoint[] {
    return this.points;
  }

  private async tick(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const reading = { t: Date.now(), totals: await this.read() };
      slideWindow(this.readings, reading, this.options.windowMs ?? 5000);
      if (this.readings.length < 2) return;
      const point = pointBetween(this.readings[0]!, reading, this.routes());
      this.points.push(point);
      if (this.points.length > (this.options.keep ?? 300)) this.points.shift();
      this.onPoint(point);
    } catch {
      // the router is stopping: no point this time
    } finally {
      this.reading = false;
    }
  }
}
