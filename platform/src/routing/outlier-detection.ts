import type { OutlierPolicy } from './route-settings.js';

/**
 * Counts each instance's gateway failures in a row and says when one should leave its route, and for how long: the
 * ejection doubles each time the same instance is ejected again, up to the policy's cap (Envoy's rule).
 */
export class OutlierDetector {
  private readonly failuresInARow = new Map<string, number>();
  private readonly timesEjected = new Map<string, number>();

  constructor(private readonly policy: OutlierPolicy) {}

  success(id: string): void {
    this.failuresInARow.delete(id);
  }

  /**
   * Records a failure. Returns how long to eject the instance for, or undefined to keep it: not enough failures yet, or
   * too many of the route's `members` already out (`ejected`).
   */
  failure(id: string, members: number, ejected: number): number | undefined {
    const inARow = (this.failuresInARow.get(id) ?? 0) + 1;
    this.failuresInARow.set(id, inARow);
    if (inARow < this.policy.consecutiveFailures) return undefined;
    const mayEject = Math.max(members >= 2 ? 1 : 0, Math.floor(members * this.policy.maxEjectedShare));
    if (ejected >= mayEject) return undefined;
    this.failuresInARow.delete(id);
    const times = (this.timesEjected.get(id) ?? 0) + 1;
    this.timesEjected.set(id, times);
    return Math.min(this.policy.maxEjectionMs, this.policy.baseEjectionMs * 2 ** (times - 1));
  }

  /** A new run of the instance (restarted, or re-added to the pool) starts with a clean record. */
  forget(id: string): void {
    this.failuresInARow.delete(id);
    this.timesEjected.delete(id);
  }

  failuresOf(id: string): number {
    return this.failuresInARow.get(id) ?? 0;
  }
}
