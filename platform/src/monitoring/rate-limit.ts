import type { RateLimits } from './log-limits.js';

interface Bucket {
  tokens: number;
  refilledAt: number;
  dropped: number;
  droppingSince: number;
}

/**
 * A token bucket per source: a burst, then a steady rate, as journald does for each service. What it drops it counts,
 * and once per report interval it says how many, so a reader of the log knows lines are missing and why.
 */
export class SourceRateLimit {
  private readonly buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: RateLimits,
    private readonly report: (message: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether this line of `source` may be kept. */
  admit(source: string): boolean {
    if (this.limits.linesPerSecond === 0) return true;
    const now = this.now();
    let bucket = this.buckets.get(source);
    if (!bucket) this.buckets.set(source, (bucket = { tokens: this.limits.burst, refilledAt: now, dropped: 0, droppingSince: 0 }));
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + ((now - bucket.refilledAt) * this.limits.linesPerSecond) / 1000);
    bucket.refilledAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    if (bucket.dropped === 0) bucket.droppingSince = now;
    bucket.dropped++;
    this.timer ??= setTimeout(() => this.flush(), this.limits.reportEveryMs).unref();
    return false;
  }

  /** Says, for each source that lost lines since the last report, how many. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    for (const [source, bucket] of this.buckets) {
      if (bucket.dropped === 0) continue;
      const seconds = Math.max(now - bucket.droppingSince, 1) / 1000;
      this.report(
        `${source}: ${bucket.dropped.toLocaleString('en-US')} lines dropped in the last ${seconds < 10 ? seconds.toFixed(1) : seconds.toFixed(0)} s ` +
          `(over ${this.limits.linesPerSecond.toLocaleString('en-US')} lines/s); the log keeps the rest`,
      );
      bucket.dropped = 0;
    }
  }
}
