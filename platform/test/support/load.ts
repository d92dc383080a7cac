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
