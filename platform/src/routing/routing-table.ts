import type { Endpoint } from './balancer.js';
import type { RouteSettings } from './route-settings.js';
import type { Fault } from '../chaos/fault-rules.js';

/** What the control plane tells the router, wherever the router runs (this thread or its own). */
export interface RoutingTable {
  declare(route: string, settings: RouteSettings): void;
  /** adds an instance to its route's pool, or takes it out */
  setMember(route: string, endpoint: Endpoint, inPool: boolean): void;
  /** requests the router has in flight to an instance (pool member or not): what a drain waits on */
  inflight(route: string, id: string): Promise<number>;
  /** the faults to inject into the route's requests from now on (none: a normal route again) */
  setFaults(route: string, faults: Fault[]): void;
}
