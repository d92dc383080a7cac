import { Pool } from 'undici';
import type { Endpoint } from './balancer.js';

/**
 * Enough connections per instance that requests stuck in one slow handler never queue the others behind them; each held
 * connection is freed when its caller leaves or its timeout fires.
 */
const CONNECTIONS_PER_INSTANCE = 512;

/** One keep-alive connection pool per instance, so the router doesn't pay a TCP handshake per request. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  for(endpoint: Endpoint, connectTimeoutMs: number): Pool {
    const origin = `http://${endpoint.host}:${endpoint.port}`;
    let pool = this.pools.get(origin);
    if (!pool) {
      // Headers and body timeouts are set per request, from the route's settings.
      pool = new Pool(origin, { connections: CONNECTIONS_PER_INSTANCE, pipelining: 1, connect: { timeout: connectTimeoutMs } });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Drops pools of instances that are gone (a restarted instance comes back on a new port). */
  prune(live: Iterable<Endpoint>): void {
    const keep = new Set([...live].map((endpoint) => `http://${endpoint.host}:${endpoint.port}`));
    for (const [origin, pool] of this.pools) {
      if (!keep.has(origin)) {
        this.pools.delete(origin);
        // close, not destroy: requests still in flight finish (a draining instance), bounded by their timeouts.
        void pool.close().catch(() => undefined);
      }
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}
