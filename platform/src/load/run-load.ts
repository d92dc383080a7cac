/**
 * Load against a router, for `tall load` and for lab checks (ctx.load): autocannon sends the requests at a fixed
 * overall rate (so a slow service is not hidden by a client that slows down with it), and every answer's status and
 * latency is counted here, errors included (autocannon's own latency figures keep 2xx answers only).
 */
import autocannon from 'autocannon';
import { build as buildHistogram } from 'hdr-histogram-js';

export interface LoadOptions {
  /** requests per second, over all connections */
  rps: number;
  durationMs: number;
  /** default 10 */
  connections?: number;
  /** default GET */
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** a request without an answer in this time counts as a timeout (default 10 s) */
  timeoutMs?: number;
  /** about once a second, while it runs */
  onProgress?: (progress: LoadProgress) => void;
  /** stops the load early; the summary counts what was done until then */
  signal?: AbortSignal;
}

export interface LoadProgress {
  elapsedMs: number;
  requests: number;
  ok: number;
  errors: number;
  /** answers in the last second */
  rate: number;
}

export interface LoadSummary {
  url: string;
  method: string;
  /** what was asked for */
  rps: number;
  /** how long it ran */
  durationMs: number;
  /** requests that ended: answered, failed to connect, or timed out */
  requests: number;
  /** answers below 400 */
  ok: number;
  /** everything else: answers of 400 and above, connection errors, timeouts */
  errors: number;
  /** every answer, by status: { "200": 590, "503": 10 } */
  byStatus: Record<string, number>;
  connectionErrors: number;
  timeouts: number;
  /** over every answer, errors included; null when there was none */
  latencyMs: { p50: number; p95: number; p99: number; max: number } | null;
}

export function runLoad(url: string, options: LoadOptions): Promise<LoadSummary> {
  const method = (options.method ?? 'GET').toUpperCase();
  const byStatus: Record<string, number> = {};
  // Microseconds, three significant digits: what autocannon itself keeps.
  const latency = buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  // The histogram answers with the top of a value's bucket, which can lie just above the largest value seen.
  const percentile = (p: number) => Math.min(latency.getValueAtPercentile(p), latency.maxValue) / 1000;
  let answers = 0;
  let ok = 0;
  let failed = 0;
  return new Promise((resolve, reject) => {
    const began = Date.now();
    const instance = autocannon({
      url,
      method: method as autocannon.Request['method'],
      body: options.body,
      headers: options.headers,
      connections: options.connections ?? 10,
      overallRate: options.rps,
      duration: options.durationMs / 1000,
      timeout: (options.timeoutMs ?? 10_000) / 1000,
    }, (error, result) => {
      options.signal?.removeEventListener('abort', stop);
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      resolve({
        url,
        method,
        rps: options.rps,
        durationMs: Date.now() - began,
        requests: answers + result.errors,
        ok,
        errors: answers - ok + result.errors,
        byStatus,
        connectionErrors: result.errors - result.timeouts,
        timeouts: result.timeouts,
        latencyMs: answers === 0 ? null : {
          p50: percentile(50),
          p95: percentile(95),
          p99: percentile(99),
          max: latency.maxValue / 1000,
        },
      });
    });
    const stop = () => instance.stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted) stop();
    instance.on('response', (_client, status, _bytes, responseTime) => {
      answers++;
      if (status < 400) ok++;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      latency.recordValue(Math.max(1, Math.round(responseTime * 1000)));
    });
    instance.on('reqError', () => failed++);
    // autocannon's tick carries the answers of the last second (its typings leave the argument out).
    let lastTick = 0;
    (instance as NodeJS.EventEmitter).on('tick', (tick: { counter: number }) => {
      const elapsedMs = Date.now() - began;
      // Stopping ticks once more right after the last second's tick: nothing new to say.
      if (elapsedMs - lastTick < 500) return;
      lastTick = elapsedMs;
      options.onProgress?.({ elapsedMs, requests: answers + failed, ok, errors: answers - ok + failed, rate: tick.counter });
    });
  });
}
