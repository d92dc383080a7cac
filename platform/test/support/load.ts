import { runLoad } from '../../src/load/run-load.js';

export interface LoadResult {
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Sends ~`rate` requests per second for `seconds` from this process, counting every failure (bounded in count and time). */
export async function generateLoad(url: string, rate: number, seconds: number): Promise<LoadResult> {
  const summary = await runLoad(url, { rps: rate, durationMs: seconds * 1000, timeoutMs: 5000 });
  const non2xx = Object.entries(summary.byStatus).filter(([status]) => !status.startsWith('2')).reduce((sum, [, count]) => sum + count, 0);
  return { requests: summary.requests, errors: summary.connectionErrors + summary.timeouts, timeouts: summary.timeouts, non2xx };
}
