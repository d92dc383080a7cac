import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parseDuration } from './duration.js';
import { argv, optionalArgv, requiredArgv } from './command-words.js';
import { assignOwn, parseEnvironment } from './environment-values.js';
import type { AutoscalePolicy, DependencyCondition, Healthcheck, RestartPolicy, ServiceSpec, TallServiceSettings, UpdateConfig } from './model.js';
import { parseAutoscale } from './autoscale-policy.js';
import { parseResourceLimits } from './resource-limits.js';
import type { UpstreamTimeouts } from '../routing/route-settings.js';

/**
 * One service of a document that passed the schema check, as the runtimes see it. Types are known here (the schema and
 * the casts saw to them); what is left are the kit's own rules, each failing with the field's path.
 */
export interface ServiceContext {
  name: string;
  /** the compose file's folder */
  dir: string;
  /** variables a bare `environment: [NAME]` takes its value from */
  env: Record<string, string | undefined>;
  warn(path: (string | number)[], message: string): void;
}

/** A dependency as written: `required: false` ones are left out when the service does not exist. */
export interface Dependency {
  condition: DependencyCondition;
  required: boolean;
}

export class ServiceProblem extends Error {
  constructor(readonly path: (string | number)[], message: string) {
    super(message);
  }
}

type Raw = Record<string, unknown>;

export function normalizeService(raw: Raw, ctx: ServiceContext): { spec: ServiceSpec; dependencies: Record<string, Dependency> } {
  const { name } = ctx;
  const fail = (path: (string | number)[], message: string): never => {
    throw new ServiceProblem(path, `service "${name}": ${message}`);
  };
  const duration = (value: unknown, fallbackMs: number, path: (string | number)[]) => {
    try {
      return parseDuration(value, fallbackMs);
    } catch (error) {
      return fail(path, `${path.join('.')}: ${(error as Error).message}`);
    }
  };

  const build = parseBuild(raw.build, ctx.dir);
  const image = raw.image as string | undefined;
  if (!build && !image) {
    fail([], raw.extends === undefined
      ? 'needs "build" or "image"'
      : 'needs "build" or "image" — it uses "extends", which the kit does not support: copy what it needs from the other service');
  }

  const environment: Record<string, string> = {};
  for (const [index, entry] of envFiles(raw.env_file)) {
    const path = resolve(ctx.dir, entry.path);
    const at = typeof raw.env_file === 'string' ? ['env_file'] : ['env_file', index];
    const shown = relative(process.cwd(), path) || path;
    if (!existsSync(path)) {
      if (!entry.required) continue;
      fail(at, `env_file ${shown} does not exist; create it, or mark it optional: { path: ${entry.path}, required: false }`);
    }
    try {
      assignOwn(environment, parseEnv(readFileSync(path, 'utf8')));
    } catch (error) {
      fail(at, `env_file ${shown} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  assignOwn(environment, parseEnvironment(raw.environment, ctx.env));

  const deploy = (raw.deploy ?? {}) as Raw;
  const replicas = replicaCount(raw, deploy, fail, ctx);

  const restartText = (raw.restart as string | undefined) ?? 'always';
  const restart = restartText.replace(/:\d+$/, '') as RestartPolicy;
  if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(restart)) fail(['restart'], `restart must be one of no, always, on-failure, unless-stopped; got "${restartText}"`);

  const exposed = ((raw.expose ?? []) as (string | number)[]).map((port, index) => exposedPort(port, ['expose', index], fail, ctx));
  const containerPort = exposed[0] ?? (Number(environment.PORT) || 3000);

  const restartPolicy = deploy.restart_policy as Raw | undefined;
  const updateConfig = deploy.update_config as Raw | undefined;
  const tall = parseTall(name, (raw['x-tall'] ?? {}) as Raw, fail, duration);
  return {
    spec: {
      name,
      dir: build?.context,
      build,
      image,
      command: raw.command === undefined || raw.command === null ? undefined : optionalArgv(argv(raw.command, ['command'], fail)),
      environment,
      containerPort,
      healthcheck: parseHealthcheck(raw.healthcheck as Raw | undefined, fail, duration),
      dependsOn: {},
      restart,
      replicas: tall.autoscale ? autoscaledReplicas(replicas, tall.autoscale, ctx) : replicas,
      restartPolicy: restartPolicy ? parseRestartPolicy(restartPolicy, fail, duration) : undefined,
      updateConfig: updateConfig ? parseUpdateConfig(updateConfig, fail, duration) : undefined,
      profiles: (raw.profiles as string[] | undefined) ?? [],
      stopGracePeriodMs: duration(raw.stop_grace_period, 10_000, ['stop_grace_period']),
      labels: parseEnvironment(raw.labels, {}),
      limits: parseResourceLimits(raw, deploy, fail),
      tall,
    },
    dependencies: parseDependsOn(raw.depends_on),
  };
}

type Fail = (path: (string | number)[], message: string) => never;
type Duration = (value: unknown, fallbackMs: number, path: (string | number)[]) => number;

function parseBuild(raw: unknown, dir: string): ServiceSpec['build'] {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return { context: resolve(dir, raw), args: {} };
  const build = raw as { context?: string; dockerfile?: string; args?: unknown };
  return { context: resolve(dir, build.context ?? '.'), dockerfile: build.dockerfile, args: parseEnvironment(build.args, {}) };
}

function envFiles(raw: unknown): [number, { path: string; required: boolean }][] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((entry, index) => [index, typeof entry === 'string' ? { path: entry, required: true } : { path: entry.path as string, required: entry.required !== false }]);
}

/** `scale` is Compose's older way to say deploy.replicas; when both are set, deploy.replicas wins, as in Compose. */
function replicaCount(raw: Raw, deploy: Raw, fail: Fail, ctx: ServiceContext): number {
  const scale = raw.scale as number | undefined;
  const replicas = deploy.replicas as number | undefined;
  if (scale !== undefined && scale < 0) fail(['scale'], `scale must be a whole number ≥ 0, got ${scale}`);
  if (replicas !== undefined && replicas < 0) fail(['deploy', 'replicas'], `deploy.replicas must be a whole number ≥ 0, got "${replicas}"`);
  if (scale !== undefined && replicas !== undefined && scale !== replicas) {
    ctx.warn(['scale'], `service "${ctx.name}": scale (${scale}) and deploy.replicas (${replicas}) differ; deploy.replicas is used`);
  }
  return replicas ?? scale ?? 1;
}

/** An autoscaled service starts within its bounds, as HPA brings a Deployment's replicas into [min, max] at once. */
function autoscaledReplicas(replicas: number, policy: AutoscalePolicy, ctx: ServiceContext): number {
  const within = Math.min(Math.max(replicas, policy.min), policy.max);
  if (within !== replicas) ctx.warn(['deploy', 'replicas'], `service "${ctx.name}": ${replicas} instances is outside x-tall.autoscale's ${policy.min}–${policy.max}; it starts with ${within}`);
  return within;
}

/** "3000", 3000, "3000/tcp", or a range "3000-3005" (its first port: the platform gives each instance one port). */
function exposedPort(port: string | number, path: (string | number)[], fail: Fail, ctx: ServiceContext): number {
  const match = /^(\d+)(?:-(\d+))?(?:\/(?:tcp|udp|sctp))?$/.exec(String(port).trim());
  const first = Number(match?.[1]);
  if (!match || !Number.isInteger(first) || first < 1 || first > 65535) {
    return fail(path, `${path[0]}[${path[1]}] must be a port (1–65535) or a range such as 3000-3005, got "${port}"`);
  }
  if (match[2] !== undefined) ctx.warn(path, `service "${ctx.name}": expose "${port}" is a range; the platform uses its first port, ${first}, one per instance`);
  return first;
}

function parseHealthcheck(raw: Raw | undefined, fail: Fail, duration: Duration): Healthcheck | undefined {
  if (!raw || raw.disable === true) return undefined;
  const test = typeof raw.test === 'string' ? ['CMD-SHELL', raw.test] : ((raw.test ?? []) as string[]);
  if (test.length === 0 || test[0] === 'NONE') return undefined;
  if ((test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') || test.length < 2) {
    fail(['healthcheck', 'test'], `healthcheck.test as a list must be "CMD" or "CMD-SHELL" and then the command (or just "NONE"), e.g. ["CMD", "curl", "-f", "http://localhost:3000/health"]`);
  }
  const retries = (raw.retries as number | undefined) ?? 3;
  if (retries < 0) fail(['healthcheck', 'retries'], `healthcheck.retries must be a whole number ≥ 1, got ${retries}`);
  // As in Docker, 0 means "the default" for these: never a check every 0 ms.
  const orDefault = (value: number, fallback: number) => (value === 0 ? fallback : value);
  return {
    test,
    intervalMs: orDefault(duration(raw.interval, 30_000, ['healthcheck', 'interval']), 30_000),
    timeoutMs: orDefault(duration(raw.timeout, 30_000, ['healthcheck', 'timeout']), 30_000),
    retries: retries === 0 ? 3 : retries,
    startPeriodMs: duration(raw.start_period, 0, ['healthcheck', 'start_period']),
  };
}

function parseDependsOn(raw: unknown): Record<string, Dependency> {
  if (!raw) return {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name: string) => [name, { condition: 'service_started' as const, required: true }]));
  return Object.fromEntries(
    Object.entries(raw as Record<string, { condition?: DependencyCondition; required?: boolean } | null>).map(([name, value]) => [
      name,
      { condition: value?.condition ?? 'service_started', required: value?.required !== false },
    ]),
  );
}

function parseRestartPolicy(raw: Raw, fail: Fail, duration: Duration): ServiceSpec['restartPolicy'] {
  const condition = (raw.condition as string | undefined) ?? 'any';
  if (condition !== 'none' && condition !== 'on-failure' && condition !== 'any') {
    fail(['deploy', 'restart_policy', 'condition'], `deploy.restart_policy.condition must be one of none, on-failure, any; got "${condition}"`);
  }
  return {
    condition,
    delayMs: raw.delay === undefined ? undefined : duration(raw.delay, 0, ['deploy', 'restart_policy', 'delay']),
    maxAttempts: raw.max_attempts as number | undefined,
    windowMs: raw.window === undefined ? undefined : duration(raw.window, 0, ['deploy', 'restart_policy', 'window']),
  };
}

/** The defaults are Swarm's, but for failure_action: a workshop deploy that breaks should undo itself. */
export const DEFAULT_UPDATE_CONFIG: UpdateConfig = { parallelism: 1, delayMs: 0, order: 'stop-first', failureAction: 'rollback', monitorMs: 5000, maxFailureRatio: 0 };

function parseUpdateConfig(raw: Raw, fail: Fail, duration: Duration): UpdateConfig {
  const at = (key: string) => ['deploy', 'update_config', key];
  const parallelism = (raw.parallelism as number | undefined) ?? DEFAULT_UPDATE_CONFIG.parallelism;
  if (parallelism < 0) fail(at('parallelism'), `deploy.update_config.parallelism must be 0 (all at once) or more, got ${parallelism}`);
  const failureAction = (raw.failure_action as string | undefined) ?? DEFAULT_UPDATE_CONFIG.failureAction;
  if (!['rollback', 'pause', 'continue'].includes(failureAction)) fail(at('failure_action'), `deploy.update_config.failure_action must be one of rollback, pause, continue; got "${failureAction}"`);
  const maxFailureRatio = (raw.max_failure_ratio as number | undefined) ?? DEFAULT_UPDATE_CONFIG.maxFailureRatio;
  if (maxFailureRatio < 0 || maxFailureRatio > 1) fail(at('max_failure_ratio'), `deploy.update_config.max_failure_ratio must be between 0 and 1, got ${maxFailureRatio}`);
  return {
    parallelism,
    delayMs: duration(raw.delay, DEFAULT_UPDATE_CONFIG.delayMs, at('delay')),
    order: (raw.order as UpdateConfig['order'] | undefined) ?? DEFAULT_UPDATE_CONFIG.order,
    failureAction: failureAction as UpdateConfig['failureAction'],
    monitorMs: duration(raw.monitor, DEFAULT_UPDATE_CONFIG.monitorMs, at('monitor')),
    maxFailureRatio,
  };
}

function parseTall(name: string, raw: Raw, fail: Fail, duration: Duration): TallServiceSettings {
  const processSettings = raw.process as { command?: unknown } | undefined;
  const readiness = typeof raw.readiness === 'string' ? { path: raw.readiness } : (raw.readiness as Raw | undefined);
  const autoscale = raw.autoscale as Raw | undefined;
  const at = (...path: string[]) => ['x-tall', ...path];
  const route = raw.route === false ? false : typeof raw.route === 'string' ? raw.route : name;
  return {
    process: processSettings ? { command: requiredArgv(argv(processSettings.command, at('process', 'command'), fail), at('process', 'command'), fail) } : undefined,
    readiness: readiness
      ? {
          path: (readiness.path as string | undefined) ?? '/ready',
          intervalMs: duration(readiness.interval, 1000, at('readiness', 'interval')),
          timeoutMs: duration(readiness.timeout, 1000, at('readiness', 'timeout')),
          failureThreshold: (readiness.failure_threshold as number | undefined) ?? 1,
        }
      : undefined,
    route,
    balance: (raw.balance as TallServiceSettings['balance'] | undefined) ?? 'round-robin',
    timeouts: parseTimeouts((raw.timeouts ?? {}) as Raw, (value, path) => duration(value, 0, at('timeouts', ...path))),
    metricsPath: raw.metrics_path as string | undefined,
    autoscale: autoscale ? parseAutoscale(autoscale, { route }, fail, duration) : undefined,
    deploy: (raw.deploy as TallServiceSettings['deploy'] | undefined) ?? 'rolling',
    bind: (raw.bind as string[] | undefined) ?? [],
  };
}

/** `x-tall.timeouts: { connect, headers, idle, hedge_after }`; unset ones take the router's defaults, `hedge_after: false` turns hedging off. */
function parseTimeouts(raw: Raw, duration: (value: unknown, path: string[]) => number): Partial<UpstreamTimeouts> {
  const timeouts: Partial<UpstreamTimeouts> = {};
  if (raw.connect !== undefined) timeouts.connectMs = duration(raw.connect, ['connect']);
  if (raw.headers !== undefined) timeouts.headersMs = duration(raw.headers, ['headers']);
  if (raw.idle !== undefined) timeouts.idleMs = duration(raw.idle, ['idle']);
  if (raw.hedge_after === false) timeouts.hedgeAfterMs = false;
  else if (raw.hedge_after !== undefined) timeouts.hedgeAfterMs = duration(raw.hedge_after, ['hedge_after']);
  return timeouts;
}
