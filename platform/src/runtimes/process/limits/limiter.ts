import type { ResourceLimits } from '../../../compose/model.js';

/** Why a limit ended an instance, as Kubernetes names it where it has a name. */
export type LimitBreach = 'OOMKilled' | 'PidsLimit';

/**
 * How the process runtime holds an instance to its limits. Two ways, the best this machine allows:
 * cgroups where the platform may create them (root on Linux: CI, a grading server) — the kernel enforces memory, CPU and
 * process count; else a watchdog (a learner's laptop) that measures each instance's process group and kills it when it
 * goes over — memory and process count, no CPU limit.
 */
export interface InstanceLimiter {
  /** what enforces which limits, for `tall up`'s progress and the README */
  readonly mechanism: string;
  /** The argv that starts the instance already inside its limits (the cgroup is joined before the program runs). */
  launch(id: string, argv: string[], limits: ResourceLimits): string[];
  /** The instance runs, as process group `pgid`; `onBreach` is called if the limiter itself ends it. */
  started(id: string, pgid: number, limits: ResourceLimits, onBreach: (breach: LimitBreach) => void): void;
  /** After the exit: whether a limit ended it (the kernel's OOM killer, or the watchdog). */
  breach(id: string): LimitBreach | undefined;
  /** The instance is gone for good (stopped, or about to be restarted): forget it. */
  release(id: string): void;
}

/** V8 gives up cleanly ("JavaScript heap out of memory") a little before the process limit would kill it. */
export function nodeHeapOption(limits: ResourceLimits): string {
  return `--max-old-space-size=${Math.max(32, Math.floor((limits.memoryBytes / 1024 ** 2) * 0.75))}`;
}
