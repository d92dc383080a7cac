import type { ResourceLimits } from './model.js';

/**
 * What every instance may take unless its service says otherwise: a student's bug (an unbounded cache, a fork loop)
 * must not take the laptop down, and a graded submission must not take the grader down.
 */
export const DEFAULT_RESOURCE_LIMITS: ResourceLimits = { memoryBytes: 512 * 1024 ** 2, cpus: 1, pids: 256 };

const UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Compose byte values: 536870912, "512m", "1.5g", "256MB". */
export function parseBytes(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*$/i.exec(String(value));
  if (!match) throw new Error(`"${String(value)}" is not an amount of memory (examples: 256m, 1g, 536870912)`);
  const bytes = Math.round(Number(match[1]) * UNITS[(match[2] || 'b').toLowerCase()]!);
  if (bytes <= 0) throw new Error(`"${String(value)}" is not an amount of memory greater than 0`);
  return bytes;
}

function positive(value: unknown, what: string, whole: boolean): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (whole && !Number.isInteger(number))) {
    throw new Error(`${what} must be a ${whole ? 'whole ' : ''}number greater than 0, got "${String(value)}"`);
  }
  return number;
}

/**
 * A service's limits from either place Compose allows (`deploy.resources.limits` or the service-level `mem_limit`,
 * `cpus`, `pids_limit`), each falling back to the default. `fail(path, message)` reports a bad value at its line.
 */
export function parseResourceLimits(service: Record<string, unknown>, deploy: Record<string, unknown>, fail: (path: string[], message: string) => never): ResourceLimits {
  const limits = ((deploy.resources as Record<string, unknown> | undefined)?.limits ?? {}) as Record<string, unknown>;
  const pick = <T>(deployKey: string, serviceKey: string, parse: (value: unknown, what: string) => T, fallback: T): T => {
    const fromDeploy = limits[deployKey];
    const fromService = service[serviceKey];
    const [value, path] = fromDeploy !== undefined ? [fromDeploy, ['deploy', 'resources', 'limits', deployKey]] : [fromService, [serviceKey]];
    if (value === undefined || value === null || value === '') return fallback;
    try {
      return parse(value, path.join('.'));
    } catch (error) {
      return fail(path, (error as Error).message);
    }
  };
  return {
    memoryBytes: pick('memory', 'mem_limit', (value) => parseBytes(value), DEFAULT_RESOURCE_LIMITS.memoryBytes),
    cpus: pick('cpus', 'cpus', (value, what) => positive(value, what, false), DEFAULT_RESOURCE_LIMITS.cpus),
    pids: pick('pids', 'pids_limit', (value, what) => positive(value, what, true), DEFAULT_RESOURCE_LIMITS.pids),
  };
}

export function describeBytes(bytes: number): string {
  return bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
