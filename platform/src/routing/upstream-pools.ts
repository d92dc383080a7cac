import { Pool } from 'undici';
import type { Endpoint } from './balancer.js';

/** One keep-alive connection pool per instance, so the router doesn't pay a TCP handshake per request. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  for(endpoint: Endpoint): Pool {
    const origin = `http://${endpoint.host}:${endpoint.port}`;
    let pool = this.pools.get(origin);
    if (!pool) {
      // No headers/body timeout: a slow dependency is what the resilience lab is about, and the router must not hide it.
      pool = new Pool(origin, { connections: 128, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, connect: { timeout: 2000 } });
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
        void pool.close().catch(() => undefined);
      }
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}
