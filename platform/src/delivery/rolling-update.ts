import type { ServiceSpec, UpdateConfig } from '../compose/model.js';
import { instanceId, type Instance } from '../control-plane/instance.js';
import type { Fleet } from './fleet.js';
import { waitAllReady } from './readiness-gate.js';

export interface RollPlan extends Pick<UpdateConfig, 'parallelism' | 'delayMs' | 'order' | 'monitorMs' | 'maxFailureRatio'> {
  /** how long each new instance may take to be ready */
  readyTimeoutMs: number;
  /** watched for `monitorMs` after each batch is in the pool; a reason when the batch made things worse */
  monitor?: (batch: Instance[], windowMs: number) => Promise<string | undefined>;
  /** one line per step, for events and progress */
  step: (message: string, instance?: string) => void;
  /** failure_action: continue — failures and a monitor's objections are noted, never a reason to stop */
  keepGoing?: boolean;
}

export interface RollResult {
  /** the instances now running `target`, in the pool */
  replaced: Instance[];
  /** what made the roll stop, when it did (failures beyond max_failure_ratio, or a monitor's verdict) */
  failure?: string;
  /** failures tolerated under max_failure_ratio */
  tolerated: string[];
}

/**
 * Replaces `old` with instances of `target` in batches of `parallelism` (0: all at once), as Swarm's rolling update does:
 * per batch, start-first starts the new instances, waits until they are ready (so the router has put them in its pool),
 * then drains and stops the old; stop-first drains the old first. A single instance is always replaced start-first —
 * stop-first would leave the service with nothing to answer. A new instance that does not get ready in time (or crashes
 * first) is stopped and counts as a failure; more failures than max_failure_ratio allows, or a monitor that objects,
 * ends the roll there and says why — what to do then (roll back, pause) is the caller's decision; `keepGoing`
 * (continue) notes them and rolls on.
 */
export async function rollInstances(fleet: Fleet, target: ServiceSpec, old: Instance[], plan: RollPlan): Promise<RollResult> {
  const startFirst = plan.order === 'start-first' || old.length === 1;
  const size = plan.parallelism > 0 ? plan.parallelism : old.length;
  const result: RollResult = { replaced: [], tolerated: [] };
  let failures = 0;
  for (let at = 0; at < old.length; at += size) {
    if (fleet.closing()) return { ...result, failure: 'the platform is shutting down' };
    const batch = old.slice(at, at + size).filter((instance) => fleet.holds(instance));
    if (batch.length === 0) continue;
    if (at > 0 && plan.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
    if (!startFirst) await Promise.all(batch.map((instance) => fleet.drainAndStop(instance)));
    const fresh = await fleet.add(target, batch.length);
    plan.step(`started ${fresh.map(instanceId).join(', ')} to replace ${batch.map(instanceId).join(', ')}`);
    const gate = await waitAllReady(fresh, plan.readyTimeoutMs);
    await Promise.all(gate.failed.map(({ instance }) => fleet.drainAndStop(instance)));
    const ready = fresh.filter((instance) => !gate.failed.some((failed) => failed.instance === instance));
    result.replaced.push(...ready);
    if (gate.failed.length > 0) {
      failures += gate.failed.length;
      const reasons = gate.failed.map((failed) => failed.reason);
      if (!plan.keepGoing && failures / old.length > plan.maxFailureRatio) return { ...result, failure: reasons.join('; ') };
      result.tolerated.push(...reasons);
      plan.step(`tolerated (${plan.keepGoing ? 'failure_action: continue' : `max_failure_ratio ${plan.maxFailureRatio}`}): ${reasons.join('; ')}`);
    }
    // Only as many old instances go as new ones came: a tolerated failure leaves its old instance serving.
    if (startFirst) await Promise.all(batch.slice(0, ready.length).map((instance) => fleet.drainAndStop(instance)));
    for (const instance of ready) plan.step(`${instanceId(instance)} is ready and in the pool`, instanceId(instance));
    if (plan.monitor && plan.monitorMs > 0 && ready.length > 0) {
      const verdict = await plan.monitor(ready, plan.monitorMs);
      if (verdict && !plan.keepGoing) return { ...result, failure: verdict };
      if (verdict) {
        result.tolerated.push(verdict);
        plan.step(`tolerated (failure_action: continue): ${verdict}`);
      }
    }
    fleet.changed();
  }
  return result;
}
