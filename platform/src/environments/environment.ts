import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';

export const DEFAULT_ENV = 'default';
export const DEFAULT_ROUTER_PORT = 8080;

/**
 * One environment: an isolated copy of the system from the same compose file, with its own state folder, router port,
 * container project name and configuration (`<compose dir>/environments/<name>.env`, Compose's --env-file idea).
 */
export interface Environment {
  name: string;
  /** folder that holds services/ and .tall/ */
  root: string;
  composeFile: string;
  stateDir: string;
  /** the env-specific config file, when there is one */
  envFile?: string;
  /** variables from envFile, for interpolation into the compose file */
  variables: Record<string, string>;
  /** Docker Compose project name: unique per state folder (so per checkout and environment) */
  projectName: string;
}

export function isValidEnvName(name: string): boolean {
  return /^[a-z][a-z0-9-]{0,30}$/.test(name);
}

/** Finds the kit's root: the nearest folder upward with services/compose.yaml (TALL_ROOT overrides). */
export function findRoot(from = process.cwd()): string {
  if (process.env.TALL_ROOT) return resolve(process.env.TALL_ROOT);
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'services', 'compose.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no services/compose.yaml found in ${from} or above. Run tall from the kit's folder (where README.md is), or set TALL_ROOT`);
    dir = parent;
  }
}

/**
 * `stateRoot` is the folder that holds one state folder per environment: `.tall/` under the root, unless TALL_STATE_DIR
 * (or the caller, e.g. a throwaway check platform) says otherwise.
 */
export function resolveEnvironment(name: string, root = findRoot(), composeFile?: string, stateRoot?: string): Environment {
  if (!isValidEnvName(name)) throw new Error(`"${name}" is not a valid environment name: use lowercase letters, digits and dashes (e.g. staging)`);
  const file = resolve(composeFile ?? join(root, 'services', 'compose.yaml'));
  const envFile = join(dirname(file), 'environments', `${name}.env`);
  const hasEnvFile = existsSync(envFile);
  const stateDir = join(stateRoot ?? process.env.TALL_STATE_DIR ?? join(root, '.tall'), name);
  // Named after the state folder, so two checkouts (or a learner's platform and a throwaway one for checks) never share containers.
  const owner = createHash('sha256').update(stateDir).digest('hex').slice(0, 6);
  return {
    name,
    root,
    composeFile: file,
    stateDir,
    envFile: hasEnvFile ? envFile : undefined,
    variables: hasEnvFile ? parseEnv(readFileSync(envFile, 'utf8')) as Record<string, string> : {},
    projectName: `tall-${name}-${owner}`,
  };
}

/** The router port asked for: --port, else TALL_PORT from the shell or the environment's file, else 8080 for the default env. */
export function requestedRouterPort(env: Environment, flag?: number): number | undefined {
  if (flag !== undefined) return flag;
  const fromShell = process.env.TALL_PORT ?? env.variables.TALL_PORT;
  if (fromShell) return Number(fromShell);
  return env.name === DEFAULT_ENV ? DEFAULT_ROUTER_PORT : undefined;
}
