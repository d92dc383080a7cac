import type { ServicePool } from '../routing/balancer.js';

/**
 * Waits until the router has no request in flight to an instance that has already left the pool, or until the deadline.
 * Returns how many requests were still in flight when it gave up (0 = drained cleanly).
 */
export async function drain(pool: ServicePool | undefined, instanceId: string, deadlineMs: number): Promise<number> {
  if (!pool) return 0;
  const giveUpAt = Date.now() + deadlineMs;
  while (pool.inflightOf(instanceId) > 0 && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return pool.inflightOf(instanceId);
}
