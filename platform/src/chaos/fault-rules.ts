/**
 * Faults the router injects into the requests of one route, as Envoy's fault filter (Istio's VirtualService `fault`)
 * does: a delay before the request is sent on, or an answer with an error status instead of the service's.
 */
export type Fault =
  | { kind: 'latency'; delayMs: number; percent: number }
  | { kind: 'abort'; status: number; percent: number };

export interface FaultDecision {
  /** wait this long before doing anything with the request */
  delayMs: number;
  /** then answer with this status instead of sending the request on */
  abortStatus?: number;
}

/**
 * What happens to one incoming request: each fault rolls its own dice (a delay and an abort may both hit, as in
 * Envoy). Decided once per request, before an instance is chosen, so no retry or hedge of the router can dodge it.
 */
export function decideFaults(faults: readonly Fault[], random: () => number = Math.random): FaultDecision | undefined {
  let decision: FaultDecision | undefined;
  for (const fault of faults) {
    if (random() * 100 >= fault.percent) continue;
    decision ??= { delayMs: 0 };
    if (fault.kind === 'latency') decision.delayMs = Math.max(decision.delayMs, fault.delayMs);
    else decision.abortStatus = fault.status;
  }
  return decision;
}
