import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ComposeError } from './errors.js';
import { parseDuration } from './duration.js';
import { parseResourceLimits } from './resource-limits.js';
import { interpolateDeep, InterpolationError } from './interpolate.js';
import { loadYaml, type LocatedYaml } from './load-yaml.js';
import type { UpstreamTimeouts } from '../routing/route-settings.js';
import type {
  BalancingStrategy,
  DependencyCondition,
  Healthcheck,
  ProjectSpec,
  RestartPolicy,
  ServiceSpec,
  TallServiceSettings,
  Warning,
} from './model.js';

export interface ParseOptions {
  /** Variables for ${VAR} interpolation (the shell's env plus the environment's env file). */
  env?: Record<string, string | undefined>;
  /** Active profiles; services with other profiles are left out, as in Compose. Default: COMPOSE_PROFILES. */
  profiles?: string[];
}

const TOP_LEVEL_KEYS = new Set(['name', 'services', 'networks', 'volumes', 'version']);
/** Compose fields both runtimes honour. Anything else under a service gets a warning naming it. */
const SERVICE_KEYS = new Set([
  'build', 'image', 'command', 'environment', 'env_file', 'expose', 'healthcheck', 'depends_on', 'restart',
  'deploy', 'profiles', 'stop_grace_period', 'labels', 'mem_limit', 'cpus', 'pids_limit', 'x-tall',
]);
/** Fields the docker runtime passes through to Compose but the process runtime cannot honour. */
const DOCKER_ONLY_KEYS = new Set(['volumes', 'networks', 'user', 'working_dir', 'entrypoint']);
const DEPLOY_KEYS = new Set(['replicas', 'restart_policy', 'update_config', 'labels', 'resources']);
const TALL_KEYS = new Set(['process', 'readiness', 'route', 'balance', 'timeouts', 'metrics_path', 'autoscale']);

export function parseCompose(file: string, options: ParseOptions = {}): ProjectSpec {
  const absolute = resolve(file);
  const displayName = relative(process.cwd(), absolute) || absolute;
  const yaml = loadYaml(absolute, displayName);
  const env = { ...process.env, ...(options.env ?? {}) };
  let document: Record<string, unknown>;
  try {
    document = interpolateDeep(yaml.value, env) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof InterpolationError) throw new ComposeError(displayName, error.message);
    throw error;
  }
  const warnings: Warning[] = [];
  const warn = (path: (string | number)[], message: string) =>
    warnings.push({ file: displayName, line: yaml.lineOf(path), message });

  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL_KEYS.has(key) && !key.startsWith('x-')) warn([key], `top-level "${key}" is not supported by the kit and is ignored`);
  }
  const services = document.services;
  if (!services || typeof services !== 'object' || Array.isArray(services)) {
    throw new ComposeError(displayName, 'no "services:" mapping found; a compose file lists its services under "services:"', yaml.lineOf(['services']) ?? 1);
  }
  const profiles = options.profiles ?? (env.COMPOSE_PROFILES ? env.COMPOSE_PROFILES.split(',') : []);
  const dir = dirname(absolute);
  const all = Object.entries(services as Record<string, unknown>).map(([name, raw]) => parseService(name, asMap(raw, yaml, ['services', name]), { dir, yaml, warn, env }));
  checkDependencies(all, yaml);
  const active = all.filter((spec) => spec.profiles.length === 0 || spec.profiles.some((p) => profiles.includes(p)));
  // A dependency on a service whose profile is off is dropped, so the rest can still start.
  const activeNames = new Set(active.map((spec) => spec.name));
  for (const spec of active) spec.dependsOn = Object.fromEntries(Object.entries(spec.dependsOn).filter(([name]) => activeNames.has(name)));
  return { file: absolute, dir, services: active, warnings };
}

interface Context {
  dir: string;
  yaml: LocatedYaml;
  warn: (path: (string | number)[], message: string) => void;
  env: Record<string, string | undefined>;
}

function parseService(name: string, raw: Record<string, unknown>, ctx: Context): ServiceSpec {
  const at = (...path: (string | number)[]) => ['services', name, ...path];
  const fail = (path: (string | number)[], message: string): never => {
    throw new ComposeError(ctx.yaml.file, `service "${name}": ${message}`, ctx.yaml.lineOf(at(...path)));
  };
  for (const key of Object.keys(raw)) {
    if (key === 'container_name') ctx.warn(at(key), `service "${name}": container_name is ignored — it would stop the service from scaling past one instance`);
    else if (key === 'ports') ctx.warn(at(key), `service "${name}": ports are ignored — the platform publishes each instance on a free 127.0.0.1 port and routes to it; use "expose"`);
    else if (DOCKER_ONLY_KEYS.has(key)) ctx.warn(at(key), `service "${name}": "${key}" is passed to Docker Compose but the process runtime ignores it`);
    else if (!SERVICE_KEYS.has(key) && !key.startsWith('x-')) ctx.warn(at(key), `service "${name}": "${key}" is not supported by the kit and is ignored`);
  }

  const build = parseBuild(raw.build, ctx.dir);
  const image = optionalString(raw.image);
  if (!build && !image) fail([], 'needs "build" or "image"');

  const environment: Record<string, string> = {};
  for (const envFile of asList(raw.env_file)) {
    const path = resolve(ctx.dir, typeof envFile === 'string' ? envFile : String((envFile as { path?: string }).path));
    if (!existsSync(path)) fail(['env_file'], `env_file ${relative(process.cwd(), path)} does not exist`);
    Object.assign(environment, parseEnv(readFileSync(path, 'utf8')));
  }
  Object.assign(environment, parseEnvironment(raw.environment, ctx.env));

  const deploy = asMap(raw.deploy ?? {}, ctx.yaml, at('deploy'));
  for (const key of Object.keys(deploy)) {
    if (!DEPLOY_KEYS.has(key)) ctx.warn(at('deploy', key), `service "${name}": deploy.${key} is not supported by the kit and is ignored`);
  }
  const replicas = deploy.replicas === undefined ? 1 : Number(deploy.replicas);
  if (!Number.isInteger(replicas) || replicas < 0) fail(['deploy', 'replicas'], `deploy.replicas must be a whole number ≥ 0, got "${String(deploy.replicas)}"`);

  const restart = String(raw.restart ?? 'always') as RestartPolicy;
  if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(restart.replace(/:\d+$/, ''))) {
    fail(['restart'], `restart must be one of no, always, on-failure, unless-stopped; got "${restart}"`);
  }

  const exposed = asList(raw.expose).map((port) => Number(String(port).split('/')[0]));
  const containerPort = exposed[0] ?? (Number(environment.PORT) || 3000);
  if (!Number.isInteger(containerPort) || containerPort <= 0 || containerPort > 65535) fail(['expose'], `expose must name a port, got "${String(exposed[0])}"`);

  const duration = (value: unknown, fallback: number, path: (string | number)[]) => {
    try {
      return parseDuration(value, fallback);
    } catch (error) {
      return fail(path, (error as Error).message);
    }
  };

  return {
    name,
    dir: build?.context,
    build,
    image,
    command: raw.command === undefined ? undefined : asArgv(raw.command),
    environment,
    containerPort,
    healthcheck: parseHealthcheck(raw.healthcheck, (value, fallback, key) => duration(value, fallback, at('healthcheck', key))),
    dependsOn: parseDependsOn(raw.depends_on),
    restart: restart.replace(/:\d+$/, '') as RestartPolicy,
    replicas,
    restartPolicy: deploy.restart_policy ? parseRestartPolicy(deploy.restart_policy as Record<string, unknown>, (v, k) => duration(v, 0, at('deploy', 'restart_policy', k))) : undefined,
    updateConfig: deploy.update_config ? parseUpdateConfig(deploy.update_config as Record<string, unknown>, (v, k) => duration(v, 0, at('deploy', 'update_config', k))) : undefined,
    profiles: asList(raw.profiles).map(String),
    stopGracePeriodMs: duration(raw.stop_grace_period, 10_000, at('stop_grace_period')),
    labels: parseEnvironment(raw.labels, {}),
    limits: parseResourceLimits(raw, deploy, fail),
    tall: parseTall(name, asMap(raw['x-tall'] ?? {}, ctx.yaml, at('x-tall')), ctx, (value, fallback, key) => duration(value, fallback, ['x-tall', ...key.split('.')])),
  };
}

function parseBuild(raw: unknown, dir: string): ServiceSpec['build'] {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return { context: resolve(dir, raw), args: {} };
  const build = raw as { context?: string; dockerfile?: string; args?: unknown };
  return {
    context: resolve(dir, build.context ?? '.'),
    dockerfile: build.dockerfile,
    args: parseEnvironment(build.args, {}),
  };
}

function parseHealthcheck(raw: unknown, duration: (value: unknown, fallback: number, key: string) => number): Healthcheck | undefined {
  if (!raw) return undefined;
  const check = raw as Record<string, unknown>;
  if (check.disable === true) return undefined;
  let test = asList(check.test).map(String);
  if (typeof check.test === 'string') test = ['CMD-SHELL', check.test];
  if (test[0] === 'NONE' || test.length === 0) return undefined;
  return {
    test,
    intervalMs: duration(check.interval, 30_000, 'interval'),
    timeoutMs: duration(check.timeout, 30_000, 'timeout'),
    retries: check.retries === undefined ? 3 : Number(check.retries),
    startPeriodMs: duration(check.start_period, 0, 'start_period'),
  };
}

function parseDependsOn(raw: unknown): Record<string, DependencyCondition> {
  if (!raw) return {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [String(name), 'service_started' as const]));
  return Object.fromEntries(
    Object.entries(raw as Record<string, { condition?: DependencyCondition } | null>).map(([name, value]) => [name, value?.condition ?? 'service_started']),
  );
}

function parseRestartPolicy(raw: Record<string, unknown>, duration: (value: unknown, key: string) => number): ServiceSpec['restartPolicy'] {
  return {
    condition: (raw.condition as 'none' | 'on-failure' | 'any') ?? 'any',
    delayMs: raw.delay === undefined ? undefined : duration(raw.delay, 'delay'),
    maxAttempts: raw.max_attempts === undefined ? undefined : Number(raw.max_attempts),
    windowMs: raw.window === undefined ? undefined : duration(raw.window, 'window'),
  };
}

function parseUpdateConfig(raw: Record<string, unknown>, duration: (value: unknown, key: string) => number): ServiceSpec['updateConfig'] {
  return {
    parallelism: raw.parallelism === undefined ? 1 : Number(raw.parallelism),
    delayMs: duration(raw.delay, 'delay'),
    order: (raw.order as 'stop-first' | 'start-first') ?? 'stop-first',
  };
}

function parseTall(
  name: string,
  raw: Record<string, unknown>,
  ctx: Context,
  duration: (value: unknown, fallback: number, key: string) => number,
): TallServiceSettings {
  for (const key of Object.keys(raw)) {
    if (!TALL_KEYS.has(key)) ctx.warn(['services', name, 'x-tall', key], `service "${name}": x-tall.${key} is not a kit setting (known: ${[...TALL_KEYS].join(', ')})`);
  }
  const processSettings = raw.process as { command?: unknown } | undefined;
  const readiness = raw.readiness as Record<string, unknown> | string | undefined;
  const readinessMap = typeof readiness === 'string' ? { path: readiness } : readiness;
  const balance = (raw.balance as BalancingStrategy | undefined) ?? 'round-robin';
  if (balance !== 'round-robin' && balance !== 'least-connection') {
    throw new ComposeError(ctx.yaml.file, `service "${name}": x-tall.balance must be round-robin or least-connection, got "${balance}"`, ctx.yaml.lineOf(['services', name, 'x-tall', 'balance']));
  }
  const autoscale = raw.autoscale as Record<string, unknown> | undefined;
  return {
    process: processSettings?.command ? { command: asArgv(processSettings.command) } : undefined,
    readiness: readinessMap
      ? {
          path: String(readinessMap.path ?? '/ready'),
          intervalMs: duration(readinessMap.interval, 1000, 'readiness.interval'),
          timeoutMs: duration(readinessMap.timeout, 1000, 'readiness.timeout'),
          failureThreshold: Number(readinessMap.failure_threshold ?? 1),
        }
      : undefined,
    route: raw.route === false ? false : typeof raw.route === 'string' ? raw.route : name,
    balance,
    timeouts: parseTimeouts(asMap(raw.timeouts ?? {}, ctx.yaml, ['services', name, 'x-tall', 'timeouts']), duration),
    metricsPath: optionalString(raw.metrics_path),
    autoscale: autoscale
      ? {
          min: Number(autoscale.min ?? 1),
          max: Number(autoscale.max ?? 5),
          targetInflight: autoscale.target_inflight === undefined ? undefined : Number(autoscale.target_inflight),
          targetCpu: autoscale.target_cpu === undefined ? undefined : Number(autoscale.target_cpu),
        }
      : undefined,
  };
}

/** `x-tall.timeouts: { connect, headers, idle, hedge_after }`; `hedge_after: false` turns hedging off. */
function parseTimeouts(raw: Record<string, unknown>, duration: (value: unknown, fallback: number, key: string) => number): Partial<UpstreamTimeouts> {
  const timeouts: Partial<UpstreamTimeouts> = {};
  const set = (key: 'connectMs' | 'headersMs' | 'idleMs', field: string) => {
    if (raw[field] !== undefined) timeouts[key] = duration(raw[field], 0, `timeouts.${field}`);
  };
  set('connectMs', 'connect');
  set('headersMs', 'headers');
  set('idleMs', 'idle');
  if (raw.hedge_after === false) timeouts.hedgeAfterMs = false;
  else if (raw.hedge_after !== undefined) timeouts.hedgeAfterMs = duration(raw.hedge_after, 0, 'timeouts.hedge_after');
  return timeouts;
}

function checkDependencies(specs: ServiceSpec[], yaml: LocatedYaml) {
  const names = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    for (const dependency of Object.keys(spec.dependsOn)) {
      if (!names.has(dependency)) {
        throw new ComposeError(yaml.file, `service "${spec.name}" depends on "${dependency}", which is not a service (services: ${[...names].join(', ')})`, yaml.lineOf(['services', spec.name, 'depends_on']));
      }
    }
  }
}

function parseEnvironment(raw: unknown, shellEnv: Record<string, string | undefined>): Record<string, string> {
  if (!raw) return {};
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map((item) => {
        const text = String(item);
        const equals = text.indexOf('=');
        return equals === -1 ? [text, null] : [text.slice(0, equals), text.slice(equals + 1)];
      })
    : Object.entries(raw as Record<string, unknown>);
  const result: Record<string, string> = {};
  for (const [key, value] of entries) {
    // As in Compose, a variable named without a value is taken from the shell, and left out if the shell has none.
    const resolved = value === null || value === undefined ? shellEnv[key] : String(value);
    if (resolved !== undefined) result[key] = resolved;
  }
  return result;
}

function asArgv(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  return String(raw).trim().split(/\s+/);
}

function asList(raw: unknown): unknown[] {
  if (raw === undefined || raw === null) return [];
  return Array.isArray(raw) ? raw : [raw];
}

function optionalString(raw: unknown): string | undefined {
  return raw === undefined || raw === null ? undefined : String(raw);
}

function asMap(raw: unknown, yaml: LocatedYaml, path: (string | number)[]): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ComposeError(yaml.file, `"${path.join('.')}" must be a mapping`, yaml.lineOf(path));
  }
  return raw as Record<string, unknown>;
}
