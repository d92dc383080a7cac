import { runLoad, type LoadSummary } from '../../src/load/run-load.js';

export interface LoadResult {
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** What a test counts of a load run: every failure, whatever its kind. */
function counted(summary: LoadSummary): LoadResult {
  const non2xx = Object.entries(summary.byStatus).filter(([status]) => !status.startsWith('2')).reduce((sum, [, count]) => sum + count, 0);
  return { requests: summary.requests, errors: summary.connectionErrors + summary.timeouts, timeouts: summary.timeouts, non2xx };
}

/** Sends ~`rate` requests per second for `seconds` from this process, counting every failure (bounded in count and time). */
export async function generateLoad(url: string, rate: number, seconds: number): Promise<LoadResult> {
  return counted(await runLoad(url, { rps: rate, durationMs: seconds * 1000, timeoutMs: 5000 }));
}

export interface RunningLoad {
  /** ends the load and says what it measured */
  stop(): Promise<LoadResult & { seconds: number }>;
}

/** Like generateLoad, but runs until stopped (at most 10 minutes): for a change whose length the test does not know beforehand. */
export function startLoad(url: string, rate: number): RunningLoad {
  const stop = new AbortController();
  const done = runLoad(url, { rps: rate, durationMs: 600_000, timeoutMs: 5000, signal: stop.signal }).then((summary) => ({ ...counted(summary), seconds: summary.durationMs / 1000 }));
  return {
    stop: () => {
      stop.abort();
      return done;
    },
  };
}
