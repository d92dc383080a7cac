import type { BalancingStrategy } from '../compose/model.js';

/**
 * How long the router waits on an instance, per route. The shape is Envoy's and nginx's (connect timeout, a timeout for
 * the answer's headers, an idle timeout while the body streams) plus Envoy's hedging: an idempotent request that has no
 * answer after `hedgeAfterMs` is also sent to another instance, and the first answer wins. Without these a request whose
 * handler never answers, or an instance frozen mid-request, holds the caller and a connection forever.
 */
export interface UpstreamTimeouts {
  connectMs: number;
  /** from the request sent to the answer's status line and headers */
  headersMs: number;
  /** the longest pause while the answer's body streams */
  idleMs: number;
  /** false: never hedge */
  hedgeAfterMs: number | false;
}

/**
 * Passive health (Envoy's outlier detection, nginx's max_fails/fail_timeout): an instance that fails this many requests
 * in a row at the gateway level (refused, reset, no answer in time) leaves its route for a while, longer each time.
 * Answers the instance chose to give, 5xx included, never count: those are the service's business, not the platform's.
 */
export interface OutlierPolicy {
  consecutiveFailures: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  /** never more than this share of a route's instances out at once (at least one may always go when there are two) */
  maxEjectedShare: number;
}

export interface RouteSettings {
  balance: BalancingStrategy;
  timeouts: UpstreamTimeouts;
  outlier: OutlierPolicy;
}

/** Workshop defaults: short enough to see a frozen instance leave within seconds, long enough for a slow laptop. */
export const DEFAULT_TIMEOUTS: UpstreamTimeouts = { connectMs: 1000, headersMs: 30_000, idleMs: 30_000, hedgeAfterMs: 1000 };

/** Envoy's defaults are 5 in a row and 30 s; a workshop wants to see it happen, so 3 and 10 s (doubling to 1 min). */
export const DEFAULT_OUTLIER: OutlierPolicy = { consecutiveFailures: 3, baseEjectionMs: 10_000, maxEjectionMs: 60_000, maxEjectedShare: 0.5 };

export function routeSettings(balance: BalancingStrategy = 'round-robin', timeouts: Partial<UpstreamTimeouts> = {}, outlier: Partial<OutlierPolicy> = {}): RouteSettings {
  return { balance, timeouts: { ...DEFAULT_TIMEOUTS, ...timeouts }, outlier: { ...DEFAULT_OUTLIER, ...outlier } };
}
