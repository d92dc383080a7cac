import type { Environment } from '../environments/environment.js';
import type { Runtime, RuntimeKind } from './runtime.js';
import { ProcessRuntime } from './process/process-runtime.js';

export interface RuntimeSetup {
  runtime: Runtime;
  /** where the router listens besides 127.0.0.1 (containers can't reach the host's loopback) */
  extraRouterHosts: string[];
  /** how instances address the router, given its port */
  routerUrlForServices: (port: number) => string;
}

export async function createRuntime(kind: RuntimeKind, env: Environment, interpolationEnv: Record<string, string>): Promise<RuntimeSetup> {
  if (kind === 'process') {
    return { runtime: new ProcessRuntime({ envName: env.name }), extraRouterHosts: [], routerUrlForServices: (port) => `http://127.0.0.1:${port}` };
  }
  const docker = await import('./docker/docker-runtime.js');
  const hosts = await docker.routerHostsForContainers();
  return {
    runtime: new docker.DockerRuntime({ projectName: env.projectName, composeFile: env.composeFile, stateDir: env.stateDir, interpolationEnv }),
    extraRouterHosts: [hosts.bindHost],
    routerUrlForServices: (port) => `http://${hosts.urlHost}:${port}`,
  };
}

/** Docker when an engine answers, else the embedded process runtime. */
export async function defaultRuntime(): Promise<RuntimeKind> {
  const { dockerAvailable } = await import('./docker/docker-runtime.js');
  return (await dockerAvailable()).ok ? 'docker' : 'process';
}
