import type { ServiceSpec } from '../compose/model.js';
import { instanceId, type Instance } from '../control-plane/instance.js';
import type { Fleet } from './fleet.js';
import { waitAllReady } from './readiness-gate.js';

export interface SwitchPlan {
  readyTimeoutMs: number;
  /** watches the new set once it takes the traffic; a reason to switch back */
  monitor: (green: Instance[]) => Promise<string | undefined>;
  step: (message: string) => void;
}

/**
 * Blue-green: a full set of `target` (green) starts beside the running one (blue), outside the router's pool. Once every
 * green instance is ready the pool is swapped at once — green in, then blue out, so the route is never empty — and blue
 * keeps running outside it, so a rollback is a swap back, not a start. A green set that does not get ready never takes a
 * request; one that raises the error rate while the monitor watches is swapped back out.
 */
export async function switchBlueGreen(fleet: Fleet, target: ServiceSpec, blue: Instance[], plan: SwitchPlan): Promise<{ green: Instance[]; failure?: string }> {
  const green = await fleet.add(target, Math.max(blue.length, 1), { standby: true });
  plan.step(`started ${green.map(instanceId).join(', ')} beside ${blue.map(instanceId).join(', ') || 'nothing'}, outside the pool`);
  const gate = await waitAllReady(green, plan.readyTimeoutMs);
  if (gate.failed.length > 0) {
    await Promise.all(green.map((instance) => fleet.drainAndStop(instance)));
    return { green: [], failure: gate.failed.map((failed) => failed.reason).join('; ') };
  }
  swap(fleet, green, blue);
  plan.step(`switched the route to ${green.map(instanceId).join(', ')}; ${blue.map(instanceId).join(', ')} kept running outside the pool`);
  const verdict = await plan.monitor(green);
  if (verdict) {
    swap(fleet, blue, green);
    await Promise.all(green.map((instance) => fleet.drainAndStop(instance)));
    return { green: [], failure: verdict };
  }
  return { green };
}

/** `into` takes the route and `outOf` leaves it, in that order; `outOf` keeps running. */
export function swap(fleet: Fleet, into: Instance[], outOf: Instance[]): void {
  for (const instance of into) fleet.setStandby(instance, false);
  for (const instance of outOf) fleet.setStandby(instance, true);
}
