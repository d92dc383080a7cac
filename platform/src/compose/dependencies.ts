import type { ServiceSpec } from './model.js';
import type { Dependency } from './normalize-service.js';

export interface DependencyIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Fills each spec's dependsOn from what was written: a dependency on a service that does not exist is an error, or is
 * left out with a warning when it is `required: false`. A cycle is an error naming it: the platform would otherwise wait
 * for services that each wait for the other, and report "not ready in time" with nothing started.
 */
export function resolveDependencies(
  specs: ServiceSpec[],
  written: Map<string, Record<string, Dependency>>,
  report: { error(issue: DependencyIssue): void; warn(issue: DependencyIssue): void },
): void {
  const names = new Set(specs.map((spec) => spec.name));
  for (const spec of specs) {
    for (const [dependency, { condition, required }] of Object.entries(written.get(spec.name) ?? {})) {
      const path = ['services', spec.name, 'depends_on', dependency];
      if (names.has(dependency)) spec.dependsOn[dependency] = condition;
      else if (required) report.error({ path, message: `service "${spec.name}" depends on "${dependency}", which is not a service (services: ${[...names].join(', ')})` });
      else report.warn({ path, message: `service "${spec.name}": depends on "${dependency}", which is not a service; left out, as it is required: false` });
    }
  }
  const cycle = findCycle(specs);
  if (cycle) {
    report.error({ path: ['services', cycle[0]!, 'depends_on'], message: `service "${cycle[0]}": depends_on forms a cycle: ${cycle.join(' → ')}; a service cannot wait for itself — remove one of these dependencies` });
  }
}

/** The first cycle in the dependency graph, as names from a service back to itself, or undefined. */
function findCycle(specs: ServiceSpec[]): string[] | undefined {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const start = onPath.indexOf(name);
    if (start !== -1) return [...onPath.slice(start), name];
    if (done.has(name)) return undefined;
    onPath.push(name);
    for (const dependency of Object.keys(byName.get(name)?.dependsOn ?? {})) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(name);
    return undefined;
  };
  for (const spec of specs) {
    const cycle = visit(spec.name);
    if (cycle) return cycle;
  }
  return undefined;
}
