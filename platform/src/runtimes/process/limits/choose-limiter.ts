import { CgroupLimiter } from './cgroup-limiter.js';
import type { InstanceLimiter } from './limiter.js';
import { WatchdogLimiter } from './watchdog-limiter.js';

/**
 * The kernel's cgroups where this process may create them, else the watchdog. TALL_LIMITS=watchdog forces the
 * watchdog (what a learner without root gets), so it can be tried on a machine that has cgroups.
 */
export function chooseLimiter(scope: string): InstanceLimiter {
  if (process.env.TALL_LIMITS === 'watchdog') return new WatchdogLimiter();
  return CgroupLimiter.detect(scope) ?? new WatchdogLimiter();
}
