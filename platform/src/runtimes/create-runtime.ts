import type { Environment } from '../environments/environment.js';
import type { Runtime, RuntimeKind } from './runtime.js';
import { ProcessRuntime } from './process/process-runtime.js';

export interface RuntimeSetup {
  runtime: Runtime;
  /** where the router listens besides 127.0.0.1 (containers can't reach the host's loopback) */
  extraRouterHosts: string[];
  /** the variables the compose file is interpolated with, ROUTER_URL included */
  interpolation: Record<string, string>;
}

/**
 * Builds the runtime and says how its instances reach the router: ROUTER_URL is on loopback for processes, and through the
 * host-gateway alias for containers.
 */
export async function createRuntime(kind: RuntimeKind, env: Environment, routerPort: number, variables: Record<string, string>): Promise<RuntimeSetup> {
  if (kind === 'process') {
    const interpolation = { ...variables, ROUTER_URL: `http://127.0.0.1:${routerPort}` };
    return { runtime: new ProcessRuntime({ envName: env.name }), extraRouterHosts: [], interpolation };
  }
  const docker = await import('./docker/docker-runtime.js');
  const hosts = await docker.routerHostsForContainers();
  const interpolation = { ...variables, ROUTER_URL: `http://${hosts.urlHost}:${routerPort}` };
  return {
    runtime: new docker.DockerRuntime({ projectName: env.projectName, composeFile: env.composeFile, stateDir: env.stateDir, interpolationEnv: interpolation }),
    extraRouterHosts: [hosts.bindHost],
    interpolation,
  };
}

/** Docker when an engine answers, else the embedded process runtime. */
export async function defaultRuntime(): Promise<RuntimeKind> {
  const { dockerAvailable } = await import('./docker/docker-runtime.js');
  return (await dockerAvailable()).ok ? 'docker' : 'process';
}
