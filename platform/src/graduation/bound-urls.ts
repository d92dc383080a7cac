import type { ProjectSpec, ServiceSpec } from '../compose/model.js';
import { findService } from '../data-services/catalog.js';
import { sqlName } from '../data-services/credentials.js';

/**
 * The URL variables a service's bindings give it, as tall gives them (data-services/bindings.ts): per kind, the first
 * bound instance — DATABASE_URL for a database, BROKER_URL for a broker — with the user and database named after it.
 */
export function boundUrls(service: ServiceSpec, project: ProjectSpec): { variable: string; instance: string; user: string }[] {
  const found = new Map<string, { variable: string; instance: string; user: string }>();
  for (const instance of service.tall.bind ?? []) {
    const declared = project.dataServices?.find((data) => data.name === instance);
    const variable = findService(declared?.service ?? 'postgres')?.urlVariable ?? 'DATABASE_URL';
    if (!found.has(variable)) found.set(variable, { variable, instance, user: sqlName(instance) });
  }
  return [...found.values()];
}
