import { fieldName } from './field-path.js';

/**
 * Which fields the kit honours, level by level, and the one walk over the keys that warns about every other field.
 * This walk is the single source of "not supported" warnings: the schema check (validate-schema.ts) does not report
 * unknown keys at all, so nothing is said twice.
 */
interface Level {
  /** honoured in both runtimes */
  honoured: string[];
  /** passed to Docker Compose by the docker runtime, which honours it; the process runtime cannot */
  docker?: string[];
  /** a message of its own for a field (after `service "x": `) */
  notes?: Record<string, string>;
  /** x-tall's keys are the kit's own: an unknown one is likely a typo, so the warning lists the known ones */
  kitSettings?: boolean;
  /** levels below: a mapping under a key, each value of a mapping (`*`), or each mapping item of a list (`[]`) */
  children?: Record<string, Level | { each: Level } | { items: Level }>;
}

const TALL: Level = {
  honoured: ['process', 'readiness', 'route', 'balance', 'timeouts', 'metrics_path', 'autoscale', 'deploy', 'bind'],
  kitSettings: true,
  children: {
    process: { honoured: ['command'], kitSettings: true },
    timeouts: { honoured: ['connect', 'headers', 'idle', 'hedge_after'], kitSettings: true },
    readiness: { honoured: ['path', 'interval', 'timeout', 'failure_threshold'], kitSettings: true },
    // target's keys are checked by the parser, which names the metrics that exist
    autoscale: { honoured: ['min', 'max', 'target', 'scale_up_window', 'scale_down_window'], kitSettings: true },
  },
};

const SERVICE: Level = {
  honoured: ['build', 'image', 'command', 'environment', 'env_file', 'expose', 'healthcheck', 'depends_on', 'restart', 'deploy', 'scale', 'profiles', 'stop_grace_period', 'labels', 'mem_limit', 'cpus', 'pids_limit', 'x-tall'],
  docker: ['volumes', 'networks', 'user', 'working_dir', 'entrypoint'],
  notes: {
    container_name: 'container_name is ignored — it would stop the service from scaling past one instance',
    ports: 'ports are ignored — the platform publishes each instance on a free 127.0.0.1 port and routes to it; use "expose"',
  },
  children: {
    build: { honoured: ['context', 'dockerfile', 'args'], docker: ['target', 'labels', 'cache_from', 'cache_to', 'network', 'shm_size', 'extra_hosts', 'isolation', 'secrets', 'ssh', 'tags', 'platforms', 'additional_contexts', 'no_cache', 'pull', 'privileged', 'dockerfile_inline', 'ulimits'] },
    healthcheck: { honoured: ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'] },
    deploy: {
      honoured: ['replicas', 'restart_policy', 'update_config', 'resources'],
      children: {
        resources: { honoured: ['limits'], docker: ['reservations'], children: { limits: { honoured: ['memory', 'cpus', 'pids'] } } },
        restart_policy: { honoured: ['condition', 'delay', 'max_attempts', 'window'] },
        update_config: { honoured: ['parallelism', 'delay', 'order', 'failure_action', 'monitor', 'max_failure_ratio'] },
      },
    },
    depends_on: { each: { honoured: ['condition', 'required'] } },
    env_file: { items: { honoured: ['path', 'required'] } },
    'x-tall': TALL,
  },
};

/** The top-level x-tall: data-service instances, each { service, plan }. */
const TALL_TOP: Level = {
  honoured: ['services'],
  kitSettings: true,
  children: { services: { each: { honoured: ['service', 'plan'], kitSettings: true } } },
};

const TOP_LEVEL: Level = {
  honoured: ['name', 'services', 'version', 'x-tall'],
  docker: ['networks', 'volumes'],
  children: { services: { each: SERVICE }, 'x-tall': TALL_TOP },
};

export type Warn = (path: (string | number)[], message: string) => void;

/** Warns, with its path, about every field of a compose document the kit does not honour. */
export function warnUnsupportedFields(document: Record<string, unknown>, warn: Warn): void {
  walk(document, TOP_LEVEL, [], warn);
}

function walk(value: unknown, level: Level, path: (string | number)[], warn: Warn): void {
  if (!isMapping(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const at = [...path, key];
    if (level.honoured.includes(key)) {
      const below = level.children?.[key];
      if (!below) continue;
      if ('each' in below) for (const [name, item] of Object.entries(isMapping(child) ? child : {})) walk(item, below.each, [...at, name], warn);
      else if ('items' in below) (Array.isArray(child) ? child : []).forEach((item, index) => walk(item, below.items, [...at, index], warn));
      else walk(child, below, at, warn);
    } else if (level.kitSettings) {
      warn(at, `${owner(at)}"${name(at)}" is not a kit setting (known: ${level.honoured.join(', ')})`);
    } else if (key.startsWith('x-')) {
      // Compose extensions: ignored by Compose itself, so by the kit too.
    } else if (level.notes?.[key]) {
      warn(at, `${owner(at)}${level.notes[key]}`);
    } else if (level.docker?.includes(key)) {
      warn(at, `${owner(at)}"${name(at)}" is passed to Docker Compose, but the process runtime ignores it`);
    } else {
      warn(at, `${owner(at)}"${name(at)}" is not supported by the kit and is ignored`);
    }
  }
}

/** `service "web": ` for a field of a service, `top-level ` for a top-level field */
function owner(path: (string | number)[]): string {
  return path[0] === 'services' && path.length > 2 ? `service "${path[1]}": ` : path.length === 1 ? 'top-level ' : '';
}

function name(path: (string | number)[]): string {
  return fieldName(path[0] === 'services' && path.length > 2 ? path.slice(2) : path);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
