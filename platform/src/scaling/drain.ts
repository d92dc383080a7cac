import type { RoutingTable } from '../routing/routing-table.js';

/**
 * Waits until the router has no request in flight to an instance that has already left the pool, or until the deadline.
 * Returns how many requests were still in flight when it gave up (0 = drained cleanly).
 */
export async function drain(router: RoutingTable, route: string, instanceId: string, deadlineMs: number): Promise<number> {
  const giveUpAt = Date.now() + deadlineMs;
  let inflight = await router.inflight(route, instanceId);
  while (inflight > 0 && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    inflight = await router.inflight(route, instanceId);
  }
  return inflight;
}
