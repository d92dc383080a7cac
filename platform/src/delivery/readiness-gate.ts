import { instanceId, type Instance } from '../control-plane/instance.js';

export interface GateResult {
  failed: { instance: Instance; reason: string }[];
}

/**
 * Waits until every instance is ready. An instance that crashes before its first readiness fails at once rather than at
 * the deadline: a deploy should not wait out a restart loop to learn that its version cannot start.
 */
export async function waitAllReady(instances: Instance[], timeoutMs: number): Promise<GateResult> {
  const deadline = Date.now() + timeoutMs;
  const failed: GateResult['failed'] = [];
  const pending = new Set(instances);
  while (pending.size > 0) {
    for (const instance of pending) {
      if (instance.ready) pending.delete(instance);
      // lastExit: a crash is restarted at once at first, so its state alone may already say 'starting' again.
      else if (instance.lastExit || instance.state === 'crashed' || instance.state === 'backoff' || instance.state === 'exited') {
        const exit = instance.lastExit;
        const how = exit?.reason ?? (exit?.signal ? `killed by ${exit.signal}` : `exited with code ${exit?.code}`);
        failed.push({ instance, reason: `${instanceId(instance)} ${how} before it was ready` });
        pending.delete(instance);
      } else if (Date.now() >= deadline) {
        failed.push({ instance, reason: `${instanceId(instance)} not ready within ${Math.round(timeoutMs / 1000)} s` });
        pending.delete(instance);
      }
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { failed };
}
