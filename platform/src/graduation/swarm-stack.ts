import type { Healthcheck, ProjectSpec, ServiceSpec } from '../compose/model.js';
import { DEFAULT_UPDATE_CONFIG } from '../compose/normalize-service.js';
import { sqlName } from '../data-services/credentials.js';
import { boundUrls } from './bound-urls.js';
import { notExpressed, type Unmapped } from './unmapped.js';

export interface SwarmStackOptions {
  /** each built service's image, tagged for this deploy */
  images: Record<string, string>;
  /** the PostgreSQL image data services run */
  postgresImage: string;
}

export interface SwarmStack {
  /** the stack file (Compose file format 3.8, what `docker stack deploy` reads) */
  stack: Record<string, unknown>;
  /** the variables the stack file refers to for what must not be written in it: given to `docker stack deploy` only */
  secretVariables: string[];
  /** route → the service and port the gateway sends it to */
  routes: { route: string; service: string; port: number }[];
  unmapped: Unmapped[];
}

/** The network every service and the gateway share: attachable, so the gateway (a plain container) can join it. */
export const STACK_NETWORK = 'shop';

/** Where a data service's password is in the environment of `docker stack deploy` (never in the stack file). */
export const passwordVariable = (instance: string) => `TALL_SWARM_${sqlName(instance).toUpperCase()}_PASSWORD`;

/**
 * The compose file as a Swarm stack: Swarm reads `deploy:` itself (replicas, update_config, restart_policy,
 * resources), so those carry over as they are; the healthcheck is Swarm's only probe (it gates traffic and restarts a
 * task), so a service with only x-tall.readiness gets that as its healthcheck; data services become services with a
 * volume, their passwords referred to by variable. Every service is found by DNS round-robin (endpoint_mode dnsrr), not
 * a virtual IP: VIPs need the kernel's IPVS, which some machines lack (this kit's CI machines: connections to a VIP
 * fail with EHOSTUNREACH), while DNS answers everywhere.
 */
export function swarmStack(project: ProjectSpec, options: SwarmStackOptions): SwarmStack {
  const services: Record<string, unknown> = {};
  const volumes: Record<string, unknown> = {};
  const secretVariables: string[] = [];
  for (const data of project.dataServices ?? []) {
    const user = sqlName(data.name);
    secretVariables.push(passwordVariable(data.name));
    volumes[`${data.name}-data`] = {};
    services[data.name] = {
      image: options.postgresImage,
      environment: { POSTGRES_USER: user, POSTGRES_DB: user, POSTGRES_PASSWORD: `\${${passwordVariable(data.name)}}`, PGDATA: '/var/lib/postgresql/data/pgdata' },
      volumes: [`${data.name}-data:/var/lib/postgresql/data`],
      healthcheck: { test: ['CMD', 'pg_isready', '-U', user, '-d', user], interval: '5s', timeout: '3s', retries: 5, start_period: '30s' },
      networks: [STACK_NETWORK],
      deploy: { replicas: 1, endpoint_mode: 'dnsrr', restart_policy: { condition: 'any' } },
    };
  }
  for (const service of project.services) {
    const probe = service.healthcheck ?? readinessAsHealthcheck(service);
    // Without update_config, what `tall deploy` does (DEFAULT_UPDATE_CONFIG), which is not quite Swarm's own default.
    const update = service.updateConfig ?? DEFAULT_UPDATE_CONFIG;
    services[service.name] = {
      image: options.images[service.name] ?? service.image,
      environment: { ...escapeDollars(service.environment), HOST: '0.0.0.0', ...bindings(service, project) },
      ...(probe ? { healthcheck: healthcheck(probe) } : {}),
      stop_grace_period: `${Math.ceil(service.stopGracePeriodMs / 1000)}s`,
      init: true,
      networks: [STACK_NETWORK],
      deploy: {
        replicas: service.tall.autoscale?.min ?? service.replicas,
        endpoint_mode: 'dnsrr',
        update_config: { parallelism: update.parallelism, delay: `${update.delayMs}ms`, order: update.order, failure_action: update.failureAction, monitor: `${update.monitorMs}ms`, max_failure_ratio: update.maxFailureRatio },
        rollback_config: { parallelism: update.parallelism, order: update.order },
        restart_policy: restartPolicy(service),
        resources: { limits: { cpus: String(service.limits.cpus), memory: `${Math.round(service.limits.memoryBytes / 1024 / 1024)}M` } },
      },
    };
  }
  const routes = project.services.flatMap((service) => (service.tall.route === false ? [] : [{ route: service.tall.route, service: service.name, port: service.containerPort }]));
  return {
    stack: { version: '3.8', services, networks: { [STACK_NETWORK]: { driver: 'overlay', attachable: true } }, ...(Object.keys(volumes).length > 0 ? { volumes } : {}) },
    secretVariables,
    routes,
    unmapped: [
      ...notExpressed(project, 'swarm'),
      ...project.services.filter((service) => service.healthcheck && service.tall.readiness).map((service) => ({
        service: service.name, setting: 'x-tall.readiness beside a healthcheck',
        instead: 'Swarm has one probe, the healthcheck: it both gates traffic and restarts; a readiness that follows dependencies cannot be said apart from liveness',
      })),
      ...project.services.filter((service) => service.tall.metricsPath).map((service) => ({
        service: service.name, setting: 'x-tall.metrics_path', instead: 'Swarm scrapes nothing: a Prometheus with dockerswarm_sd_configs does',
      })),
    ],
  };
}

function readinessAsHealthcheck(service: ServiceSpec): Healthcheck | undefined {
  const ready = service.tall.readiness;
  if (!ready) return undefined;
  const url = `'http://127.0.0.1:'+(process.env.PORT||${service.containerPort})+'${ready.path}'`;
  // It also restarts the task when it fails: as lenient as the shop's liveness (a Node process starting on a busy machine
  // takes more than a second), not as quick as a readiness probe.
  return { test: ['CMD', 'node', '-e', `fetch(${url}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`], intervalMs: Math.max(ready.intervalMs, 2000), timeoutMs: Math.max(ready.timeoutMs, 3000), retries: Math.max(ready.failureThreshold, 3), startPeriodMs: 10_000 };
}

// `docker stack deploy` interpolates "$" in the stack file: values already interpolated once must keep theirs.
const escapeDollar = (text: string) => text.replace(/\$/g, '$$$$');
const escapeDollars = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([name, value]) => [name, escapeDollar(value)]));

function healthcheck(check: Healthcheck): Record<string, unknown> {
  return { test: check.test.map(escapeDollar), interval: `${check.intervalMs}ms`, timeout: `${check.timeoutMs}ms`, retries: check.retries, start_period: `${check.startPeriodMs}ms` };
}

function restartPolicy(service: ServiceSpec): Record<string, unknown> {
  const policy = service.restartPolicy;
  if (policy) return { condition: policy.condition, ...(policy.delayMs !== undefined ? { delay: `${policy.delayMs}ms` } : {}), ...(policy.maxAttempts !== undefined ? { max_attempts: policy.maxAttempts } : {}), ...(policy.windowMs !== undefined ? { window: `${policy.windowMs}ms` } : {}) };
  return { condition: service.restart === 'no' ? 'none' : service.restart === 'on-failure' ? 'on-failure' : 'any' };
}

/** DATABASE_URL / BROKER_URL of the service's bindings: the data service's name on the network, its password by variable. */
function bindings(service: ServiceSpec, project: ProjectSpec): Record<string, string> {
  return Object.fromEntries(boundUrls(service, project).map(({ variable, instance, user }) => [variable, `postgres://${user}:\${${passwordVariable(instance)}}@${instance}:5432/${user}`]));
}
