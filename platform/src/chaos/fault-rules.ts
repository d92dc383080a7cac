/**
 * Faults the router injects into the requests of one route, as Envoy's fault filter (Istio's VirtualService `fault`)
 * does: a delay before the request is sent on, or an answer with an error status instead of the service's. Plus one
 * Envoy has no filter for: a lost answer — the request reaches the service and is done, then the caller's connection
 * breaks before the answer reaches it (what a network failure on the way back looks like to a caller).
 */
export type Fault =
  | { kind: 'latency'; delayMs: number; percent: number }
  | { kind: 'abort'; status: number; percent: number }
  | { kind: 'lose-answer'; percent: number };

export interface FaultDecision {
  /** wait this long before doing anything with the request */
  delayMs: number;
  /** then answer with this status instead of sending the request on */
  abortStatus?: number;
  /** else send it on, let the service answer in full, and break the caller's connection instead of passing the answer back */
  loseAnswer?: boolean;
}

/**
 * What happens to one incoming request: each fault rolls its own dice (a delay and an abort may both hit, as in
 * Envoy; an abort wins over a lost answer: the request never reaches the service). Decided once per request, before an instance is chosen, so no retry or hedge of the router can dodge it.
 */
export function decideFaults(faults: readonly Fault[], random: () => number = Math.random): FaultDecision | undefined {
  let decision: FaultDecision | undefined;
  for (const fault of faults) {
    if (random() * 100 >= fault.percent) continue;
    decision ??= { delayMs: 0 };
    if (fault.kind === 'latency') decision.delayMs = Math.max(decision.delayMs, fault.delayMs);
    else if (fault.kind === 'abort') decision.abortStatus = fault.status;
    else decision.loseAnswer = true;
  }
  return decision;
}
