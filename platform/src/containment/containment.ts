/**
 * How much the platform trusts the code it runs. A learner's own services run as they are (they are buggy, not hostile);
 * a graded submission is untrusted, and runs contained: the platform gets a Containment with its start request and
 * holds every student process to it — instances, healthchecks, build scripts, and the commands a check runs.
 * Nothing here is secret: it travels in the control plane's argv.
 */
import type { ProjectSpec, ResourceLimits } from '../compose/model.js';

export interface Containment {
  /** what wraps student processes on the host: bubblewrap, or nothing when the instructor said --no-sandbox */
  sandbox: 'bubblewrap' | 'none';
  /** folders student code must not see (each replaced by an empty one): the solutions, other submissions, hidden checks */
  hidden: string[];
  /** the checked services/ folder: every path a compose file names must stay inside it (the variants a check writes live elsewhere) */
  servicesDir?: string;
  /** the only folders it may write (its own copy of services/); everything else is read-only */
  writable: string[];
  /** folders student tools write caches into inside the kit's read-only packages (vite's .vite-temp): private and in memory */
  privateDirs?: string[];
  /** symlinks to make inside the sandbox (a hidden folder's entries student code still needs, e.g. node_modules) */
  links: { target: string; path: string }[];
  /** the most one instance may take, whatever the compose file asks for */
  maxLimits: ResourceLimits;
  /** the most instances of one service */
  maxReplicas: number;
  /** the largest file a student process may write (RLIMIT_FSIZE) */
  maxFileBytes: number;
  /** the size of its private /tmp */
  tmpBytes: number;
}

/** What grading uses unless the instructor says otherwise: the kit's default limits are the ceiling. */
export const GRADING_CEILING = {
  maxLimits: { memoryBytes: 512 * 1024 ** 2, cpus: 1, pids: 256 },
  maxReplicas: 6,
  maxFileBytes: 64 * 1024 ** 2,
  tmpBytes: 64 * 1024 ** 2,
} satisfies Partial<Containment>;

/** The lower of what a service asks for and the ceiling. */
export function cappedLimits(limits: ResourceLimits, containment: Containment | undefined): ResourceLimits {
  if (!containment) return limits;
  const max = containment.maxLimits;
  return { memoryBytes: Math.min(limits.memoryBytes, max.memoryBytes), cpus: Math.min(limits.cpus, max.cpus), pids: Math.min(limits.pids, max.pids) };
}

/** A contained project asks for no more than the ceiling: each service's limits, replicas and autoscale bounds are lowered to it. */
export function holdToCeiling(project: ProjectSpec, containment: Containment): void {
  for (const service of project.services) {
    service.limits = cappedLimits(service.limits, containment);
    service.replicas = Math.min(service.replicas, containment.maxReplicas);
    // An autoscaler aiming past the ceiling would fail every scale-out; it aims within it instead.
    const policy = service.tall.autoscale;
    if (policy) service.tall.autoscale = { ...policy, min: Math.min(policy.min, containment.maxReplicas), max: Math.min(policy.max, containment.maxReplicas) };
  }
}
