import type { ServiceSpec } from '../compose/model.js';

/** Whether an instance that exited should be started again, by the service's `restart` / `deploy.restart_policy`. */
export function shouldRestart(service: ServiceSpec, exitCode: number | null, restartsSoFar: number): boolean {
  const policy = service.restartPolicy;
  if (policy) {
    if (policy.maxAttempts !== undefined && restartsSoFar >= policy.maxAttempts) return false;
    if (policy.condition === 'none') return false;
    if (policy.condition === 'on-failure') return exitCode !== 0;
    return true;
  }
  if (service.restart === 'no') return false;
  if (service.restart === 'on-failure') return exitCode !== 0;
  return true;
}
