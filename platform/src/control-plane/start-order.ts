import type { ServiceSpec } from '../compose/model.js';

/** Groups services into waves: each wave depends only on earlier ones (Compose's depends_on order). */
export function startOrder(services: ServiceSpec[]): ServiceSpec[][] {
  const remaining = new Map(services.map((service) => [service.name, service]));
  const done = new Set<string>();
  const waves: ServiceSpec[][] = [];
  while (remaining.size > 0) {
    const wave = [...remaining.values()].filter((service) => Object.keys(service.dependsOn).every((dependency) => done.has(dependency)));
    if (wave.length === 0) throw new Error(`depends_on has a cycle among: ${[...remaining.keys()].join(', ')}`);
    for (const service of wave) {
      remaining.delete(service.name);
      done.add(service.name);
    }
    waves.push(wave);
  }
  return waves;
}
