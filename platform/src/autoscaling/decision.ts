import type { AutoscalePolicy } from '../compose/model.js';

/**
 * The autoscaler's decision, copied from Kubernetes' HorizontalPodAutoscaler (pkg/controller/podautoscaler,
 * "Algorithm details" and "Configurable scaling behavior" in its documentation):
 *
 *  1. desired = ceil(instances × current / target), where instances are those the metric was measured on (HPA: ready
 *     pods); within a 10 % tolerance of the target (|current/target − 1| ≤ 0.1) nothing changes;
 *  2. stabilisation (stabilizeRecommendationWithBehaviors): every raw recommendation is remembered; scale-up goes no
 *     higher than the lowest one within scale_up_window, scale-down no lower than the highest one within
 *     scale_down_window — so a dip in load does not take instances away, and a spike lasting one reading adds none
 *     when the window is set;
 *  3. rate limit (HPA's default behaviour): within any 15 s, up by at most max(4 instances, 100 %) of the count at the
 *     start of that period, down by at most 100 % of it;
 *  4. clamped to [min, max].
 *
 * Pure: the caller keeps the memory and passes the time, so tests drive it with a fake clock.
 */
export const TOLERANCE = 0.1;
export const RATE_PERIOD_MS = 15_000;
export const SCALE_UP_PODS = 4;
export const SCALE_UP_PERCENT = 100;
export const SCALE_DOWN_PERCENT = 100;

/** What the decision remembers between evaluations: raw recommendations (for the windows) and changes made (for the rate limit). */
export interface DecisionMemory {
  recommendations: { at: number; replicas: number }[];
  changes: { at: number; delta: number }[];
}

export const emptyMemory = (): DecisionMemory => ({ recommendations: [], changes: [] });

export interface Observation {
  now: number;
  /** the instance count the service is set to now */
  replicas: number;
  /** instances the metric was measured on; 0: nothing to measure on, no decision */
  measuredOn: number;
  /** the metric's current value (per instance, or the service's p95); undefined: no figure this time */
  value: number | undefined;
}

/** What shaped the result, beyond the formula (`hand`: a count set with `tall scale` standing — the autoscaler's, not decide()'s). */
export type Limit = 'tolerance' | 'window' | 'rate' | 'max' | 'min' | 'no-metric' | 'hand';

export interface Decision {
  desired: number;
  /** the formula's answer before windows, rate limit and bounds */
  raw: number;
  limitedBy?: Limit;
  memory: DecisionMemory;
}

export function decide(policy: AutoscalePolicy, memory: DecisionMemory, observation: Observation): Decision {
  const { now, replicas, measuredOn, value } = observation;
  const bounded = (count: number) => Math.min(Math.max(count, policy.min), policy.max);
  if (value === undefined || measuredOn <= 0) {
    // HPA skips a service it cannot measure, but still holds it within its bounds.
    return { desired: bounded(replicas), raw: replicas, limitedBy: 'no-metric', memory };
  }
  const ratio = value / policy.target;
  const withinTolerance = Math.abs(ratio - 1) <= TOLERANCE;
  const raw = withinTolerance ? replicas : Math.ceil(measuredOn * ratio);

  const longest = Math.max(policy.scaleUpWindowMs, policy.scaleDownWindowMs);
  const recommendations = [...memory.recommendations.filter((r) => now - r.at < longest), { at: now, replicas: raw }];
  const changes = memory.changes.filter((change) => now - change.at < RATE_PERIOD_MS);
  const next: DecisionMemory = { recommendations, changes };

  // Stabilisation: the lowest recommendation in the up window, the highest in the down window (the current one included).
  const inWindow = (windowMs: number) => recommendations.filter((r) => r.at === now || now - r.at < windowMs).map((r) => r.replicas);
  const upRecommendation = Math.min(...inWindow(policy.scaleUpWindowMs));
  const downRecommendation = Math.max(...inWindow(policy.scaleDownWindowMs));
  let stabilized = replicas;
  if (stabilized < upRecommendation) stabilized = upRecommendation;
  if (stabilized > downRecommendation) stabilized = downRecommendation;
  let limitedBy: Limit | undefined = withinTolerance ? 'tolerance' : stabilized !== raw ? 'window' : undefined;

  // Rate limit, counted from the instance count at the start of the period (HPA's periodStartReplicas).
  const added = changes.filter((c) => c.delta > 0).reduce((sum, c) => sum + c.delta, 0);
  const removed = changes.filter((c) => c.delta < 0).reduce((sum, c) => sum - c.delta, 0);
  const periodStart = replicas - added + removed;
  let desired = stabilized;
  if (stabilized > replicas) {
    const upLimit = Math.max(replicas, Math.max(periodStart + SCALE_UP_PODS, Math.ceil(periodStart * (1 + SCALE_UP_PERCENT / 100))));
    const allowed = Math.min(policy.max, upLimit);
    if (desired > allowed) [desired, limitedBy] = [allowed, allowed === policy.max ? 'max' : 'rate'];
  } else if (stabilized < replicas) {
    const downLimit = Math.min(replicas, Math.floor(periodStart * (1 - SCALE_DOWN_PERCENT / 100)));
    const allowed = Math.max(policy.min, downLimit);
    if (desired < allowed) [desired, limitedBy] = [allowed, allowed === policy.min ? 'min' : 'rate'];
  }
  if (desired !== bounded(desired)) [desired, limitedBy] = [bounded(desired), desired > policy.max ? 'max' : 'min'];
  // Where a bound and a window agree, the bound is the reason people can act on.
  if (desired === policy.min && raw < policy.min) limitedBy = 'min';
  else if (desired === policy.max && raw > policy.max) limitedBy = 'max';
  if (desired !== replicas) next.changes = [...changes, { at: now, delta: desired - replicas }];
  return { desired, raw, limitedBy, memory: next };
}
