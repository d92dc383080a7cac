import os from 'node:os';

/** Runnable processes per core, averaged over a minute, above which this machine counts as overloaded. */
const OVERLOADED_PER_CORE = 1.5;

/**
 * Whether this machine is too busy for a probe's time limit to mean anything: a laptop in a video call with a build
 * running, or CI with two CPU hogs. Windows reports no load average, so there it never is.
 */
export function machineLoad(): { overloaded: boolean; perCore: number; describe: string } {
  const cores = os.cpus().length || 1;
  const perCore = os.loadavg()[0]! / cores;
  return { overloaded: perCore >= OVERLOADED_PER_CORE, perCore, describe: `load ${os.loadavg()[0]!.toFixed(1)} on ${cores} cores` };
}
