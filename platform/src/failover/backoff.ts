/**
 * When to restart a crashed instance. The shape is Cloud Foundry's (Diego): the first crashes restart at once, later ones
 * wait twice as long each time up to a cap, and an instance that stays up long enough is forgiven its past crashes.
 * Diego's own figures are 3 immediate restarts, then 30 s doubling to 16 min; a workshop can't wait that long, so the
 * defaults are scaled down to seconds. (Kubernetes' CrashLoopBackOff is the same idea: 10 s doubling to 5 min, reset after 10 min.)
 */
export interface BackoffCurve {
  immediateRestarts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** running this long without a crash resets the count */
  resetAfterMs: number;
}

export const WORKSHOP_BACKOFF: BackoffCurve = {
  immediateRestarts: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  resetAfterMs: 60_000,
};

/** Delay before restart number `crashCount` (1 = the first crash). */
export function restartDelay(crashCount: number, curve: BackoffCurve = WORKSHOP_BACKOFF): number {
  if (crashCount <= curve.immediateRestarts) return 0;
  const doublings = crashCount - curve.immediateRestarts - 1;
  return Math.min(curve.maxDelayMs, curve.baseDelayMs * 2 ** doublings);
}

/** Tracks one instance's crash history against the curve. */
export class CrashCounter {
  private crashes = 0;
  private lastStartAt = 0;

  constructor(private readonly curve: BackoffCurve = WORKSHOP_BACKOFF, private readonly now: () => number = Date.now) {}

  started(): void {
    this.lastStartAt = this.now();
  }

  /** Records a crash and returns how long to wait before restarting. */
  crashed(): number {
    if (this.lastStartAt && this.now() - this.lastStartAt >= this.curve.resetAfterMs) this.crashes = 0;
    this.crashes += 1;
    return restartDelay(this.crashes, this.curve);
  }

  get count(): number {
    return this.crashes;
  }
}
