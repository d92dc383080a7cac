// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Sends ~`rate` requests per second for `seconds` from this process, counting every failure (bounded in count and time). */
export function generateLoad(url: string, rate: number, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 10, overallRate: rate, duration: seconds, timeout: 5 }, (error: Error | null, result: { requests: { total: number }; errors: number; timeouts: number; non2xx: number }) => {
      if (error) return reject(error);
      resolve({ requests: result.requests.total, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx });
    });
  });
}

export interface RunningLoad {
  /** ends the load and says what it measured */
  stop(): Promise<LoadResult & { seconds: number }>;
}

/** Like generateLoad, but runs until stopped: for a change whose length the test does not know beforehand. */
export function startLoad(url: string, rate: number): RunningLoad {
  const started = Date.now();
  let finished!: (result: LoadResult & { seconds: number }) => void;
  let failed!: (error: Error) => void;
  const done = new Promise<LoadResult & { seconds: number }>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance = autocannon({ url, connections: 10, overallRate: rate, duration: 600, timeout: 5 }, (error: Error | null, result: { requests: { total: number }; errors: number; timeouts: number; non2xx: number }) => {
    if (error) return failed(error);
    finished({ requests: result.requests.total, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, seconds: (Date.now() - started) / 1000 });
  });
  return {
    stop: () => {
      instance.stop();
      return done;
    },
  };
}
