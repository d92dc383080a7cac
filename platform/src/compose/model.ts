/** The normalized description of one service, as both runtimes and the control plane see it. */
import type { UpstreamTimeouts } from '../routing/route-settings.js';

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped';
export type BalancingStrategy = 'round-robin' | 'least-connection';
export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

/** Compose `healthcheck`: used by the platform as the liveness probe. Durations in ms. */
export interface Healthcheck {
  /** Compose form: ['CMD', ...argv] or ['CMD-SHELL', 'a shell line']. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/** `x-tall.readiness`: an HTTP probe whose answer adds or removes an instance from the router's pool. */
export interface ReadinessProbe {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** consecutive failures before an instance leaves the pool */
  failureThreshold: number;
}

/** What one instance may take (Compose `deploy.resources.limits`, or `mem_limit` / `cpus` / `pids_limit`). */
export interface ResourceLimits {
  memoryBytes: number;
  cpus: number;
  pids: number;
}

export interface ServiceSpec {
  name: string;
  /** Directory of the service's build context, absolute. Process instances run here. */
  dir?: string;
  build?: { context: string; dockerfile?: string; args: Record<string, string> };
  image?: string;
  command?: string[];
  environment: Record<string, string>;
  /** The port the service listens on inside its container (from `expose`, else 3000). */
  containerPort: number;
  healthcheck?: Healthcheck;
  dependsOn: Record<string, DependencyCondition>;
  restart: RestartPolicy;
  replicas: number;
  restartPolicy?: { condition: 'none' | 'on-failure' | 'any'; delayMs?: number; maxAttempts?: number; windowMs?: number };
  updateConfig?: UpdateConfig;
  profiles: string[];
  stopGracePeriodMs: number;
  labels: Record<string, string>;
  limits: ResourceLimits;
  tall: TallServiceSettings;
  /**
   * What the platform injects from the service's data-service bindings (DATABASE_URL, VCAP_SERVICES); set by the
   * control plane, never read from the file. Kept apart from `environment` so `tall config` never shows a credential.
   */
  bindingEnvironment?: Record<string, string>;
  /** which of the service's deploys this spec is (1: what `tall up` started); set by the platform, never read from the file */
  version?: number;
}

/** Compose `deploy.update_config`: how `tall deploy` replaces a service's instances. */
export interface UpdateConfig {
  /** instances replaced at once */
  parallelism: number;
  /** pause between batches */
  delayMs: number;
  order: 'stop-first' | 'start-first';
  /** what a failed batch does: roll back (the kit's default; Swarm's is pause), stop where it is, or carry on */
  failureAction: 'rollback' | 'pause' | 'continue';
  /** how long each batch is watched for errors after it is ready */
  monitorMs: number;
  /** the share of failures tolerated: of new instances, and of 5xx answers during the monitor window */
  maxFailureRatio: number;
}

/** Kit extensions under `x-tall`. Compose ignores them. */
export interface TallServiceSettings {
  /** How to run the service as a local process (process runtime). argv, run in `dir`. */
  process?: { command: string[] };
  readiness?: ReadinessProbe;
  /** Route name under the router (`/<route>/...`, `<route>.localhost`); false = not routed. Default: the service name. */
  route: string | false;
  balance: BalancingStrategy;
  /** the router's timeouts for this service's instances (`x-tall.timeouts`); unset ones take the router's defaults */
  timeouts: Partial<UpstreamTimeouts>;
  metricsPath?: string;
  /** `x-tall.autoscale`: the control plane sets the instance count from one metric (autoscaling/) */
  autoscale?: AutoscalePolicy;
  /** `x-tall.deploy`: replace instances batch by batch (rolling) or start a full new set and switch at once */
  deploy?: 'rolling' | 'blue-green';
  /** data-service instances (top-level x-tall.services) bound to this service before it starts: `x-tall.bind` */
  bind?: string[];
}

/** What an autoscaled service is measured by: per instance requests a second, the service's p95 latency, or CPU. */
export type AutoscaleMetric = 'rps_per_instance' | 'p95_ms' | 'cpu_percent';

/** `x-tall.autoscale`: HorizontalPodAutoscaler's spec, cut to one metric. Durations in ms. */
export interface AutoscalePolicy {
  min: number;
  max: number;
  metric: AutoscaleMetric;
  /** the metric's value per instance the autoscaler aims at (cpu_percent: of each instance's CPU limit) */
  target: number;
  scaleUpWindowMs: number;
  scaleDownWindowMs: number;
}

/** A data-service instance the compose file asks for (top-level `x-tall.services.<name>`): provisioned by `tall up`. */
export interface DataServiceDeclaration {
  name: string;
  /** a service of the marketplace, e.g. postgres */
  service: string;
  plan: string;
}

export interface Warning {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface ProjectSpec {
  /** absolute path of the compose file */
  file: string;
  dir: string;
  services: ServiceSpec[];
  /** top-level x-tall.services, in file order */
  dataServices?: DataServiceDeclaration[];
  warnings: Warning[];
}
