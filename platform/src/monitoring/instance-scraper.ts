import { Gauge, type Registry } from 'prom-client';
import { mergeInstances, parseExposition, plainValue, type Family } from './exposition.js';

/** An instance whose service declares `x-tall.metrics_path`: where its own metrics are, on its loopback address. */
export interface ScrapeTarget {
  service: string;
  instance: string;
  url: string;
}

export interface ScrapeOutcome {
  ok: boolean;
  /** when the scrape ended (ms since the epoch) */
  at: number;
  durationMs: number;
  /** why it failed */
  error?: string;
  families?: Family[];
}

/** What the dashboard shows of an instance's own metrics (prom-client's default metrics, when it exports them). */
export interface InstanceVitals {
  scrape: 'ok' | 'failing';
  error?: string;
  rssBytes?: number;
  heapUsedBytes?: number;
  /** CPU use between the last two scrapes, in % of one core */
  cpuPercent?: number;
  eventLoopLagP99Ms?: number;
}

export interface ScraperOptions {
  intervalMs?: number;
  timeoutMs?: number;
  /** a larger page is refused: a scrape must never cost the control plane much memory */
  maxBytes?: number;
}

/**
 * Scrapes every target every few seconds, as Prometheus would, and keeps each instance's last page. A scrape that
 * fails is a gauge (tall_instance_scrape_up 0) and, when it starts failing or works again, a call to `onChange` —
 * never an exception: an instance's metrics are its own business and may be broken.
 */
export class InstanceScraper {
  private readonly last = new Map<string, { target: ScrapeTarget; outcome: ScrapeOutcome; previous?: ScrapeOutcome }>();
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(
    private readonly targets: () => ScrapeTarget[],
    private readonly onChange: (target: ScrapeTarget, outcome: ScrapeOutcome) => void,
    options: ScraperOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.scrapeAll(), this.intervalMs);
    this.timer.unref();
    void this.scrapeAll();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** One round over every target; a round still running (slow instances) is not overtaken. */
  scrapeAll(): Promise<void> {
    this.round ??= (async () => {
      const targets = this.targets();
      const wanted = new Set(targets.map((target) => target.instance));
      for (const instance of this.last.keys()) if (!wanted.has(instance)) this.last.delete(instance);
      await Promise.all(targets.map(async (target) => {
        const outcome = await this.scrape(target);
        const before = this.last.get(target.instance);
        // Still a target (not stopped or crashed meanwhile): an instance that is gone has no metrics to miss.
        if (!this.targets().some((current) => current.instance === target.instance && current.url === target.url)) return;
        this.last.set(target.instance, { target, outcome, previous: before?.outcome.ok ? before.outcome : before?.previous });
        if ((before === undefined && !outcome.ok) || (before !== undefined && before.outcome.ok !== outcome.ok)) this.onChange(target, outcome);
      }));
    })().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  /** Every instance's last good page, relabelled and merged: what the platform's /metrics appends to its own. */
  exposition(reserved: ReadonlySet<string>): string {
    const scrapes = [...this.last.values()].filter(({ outcome }) => outcome.ok).map(({ target, outcome }) => ({ instance: target.instance, families: outcome.families! }));
    return mergeInstances(scrapes, reserved);
  }

  vitals(): Record<string, InstanceVitals> {
    const vitals: Record<string, InstanceVitals> = {};
    for (const [instance, { outcome, previous }] of this.last) {
      if (!outcome.ok) {
        vitals[instance] = { scrape: 'failing', error: outcome.error };
        continue;
      }
      const families = outcome.families!;
      const cpu = plainValue(families, 'process_cpu_seconds_total');
      const cpuBefore = previous?.families ? plainValue(previous.families, 'process_cpu_seconds_total') : undefined;
      const lag = plainValue(families, 'nodejs_eventloop_lag_p99_seconds');
      vitals[instance] = {
        scrape: 'ok',
        rssBytes: plainValue(families, 'process_resident_memory_bytes'),
        heapUsedBytes: plainValue(families, 'nodejs_heap_size_used_bytes'),
        cpuPercent: cpu !== undefined && cpuBefore !== undefined && outcome.at > previous!.at ? (100 * (cpu - cpuBefore) * 1000) / (outcome.at - previous!.at) : undefined,
        eventLoopLagP99Ms: lag === undefined ? undefined : lag * 1000,
      };
    }
    return vitals;
  }

  /** tall_instance_scrape_up and tall_instance_scrape_duration_seconds, read at each scrape of the platform. */
  register(registry: Registry): void {
    const each = (fill: (target: ScrapeTarget, outcome: ScrapeOutcome) => number) => function (this: Gauge<'service' | 'instance'>) {
      this.reset();
      for (const { target, outcome } of scraper.last.values()) this.set({ service: target.service, instance: target.instance }, fill(target, outcome));
    };
    const scraper = this;
    new Gauge({ name: 'tall_instance_scrape_up', help: 'Whether the last scrape of an instance\'s own metrics (x-tall.metrics_path) worked (1) or failed (0)', labelNames: ['service', 'instance'], registers: [registry], collect: each((_, outcome) => (outcome.ok ? 1 : 0)) });
    new Gauge({ name: 'tall_instance_scrape_duration_seconds', help: 'How long the last scrape of an instance\'s own metrics took', labelNames: ['service', 'instance'], registers: [registry], collect: each((_, outcome) => outcome.durationMs / 1000) });
  }

  private async scrape(target: ScrapeTarget): Promise<ScrapeOutcome> {
    const began = performance.now();
    const done = (fields: Partial<ScrapeOutcome> & { ok: boolean }): ScrapeOutcome => ({ at: Date.now(), durationMs: performance.now() - began, ...fields });
    try {
      const answer = await fetch(target.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'text/plain;version=0.0.4' } });
      if (!answer.ok) {
        await answer.body?.cancel();
        return done({ ok: false, error: `GET ${target.url} answered ${answer.status}` });
      }
      const text = await this.readCapped(answer);
      if (text === undefined) return done({ ok: false, error: `GET ${target.url} answered more than ${this.maxBytes / 1024 / 1024} MiB` });
      const families = parseExposition(text);
      if (families.length === 0) return done({ ok: false, error: `GET ${target.url} answered no metrics in Prometheus' text format` });
      return done({ ok: true, families });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      const why = (error as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (cause?.message ?? (error as Error).message);
      return done({ ok: false, error: `GET ${target.url} failed: ${why}` });
    }
  }

  private async readCapped(answer: Response): Promise<string | undefined> {
    const reader = answer.body!.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.maxBytes) {
        await reader.cancel();
        return undefined;
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
