/**
 * `jobs` at a time: each of `items` through `work`, results in the items' order. `stop` ends it early: what has not
 * started is left out (undefined in the results). Hand-written: a dozen lines against a dependency (p-limit) for one loop.
 */
export async function inPool<T, R>(items: readonly T[], jobs: number, work: (item: T, index: number) => Promise<R>, stop?: AbortSignal): Promise<(R | undefined)[]> {
  const results = new Array<R | undefined>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop?.aborted) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}
