import type { RuntimeDriver } from '../registry.js';
import { docker } from './docker-cli.js';
import { dockerAvailable, routerHostsForContainers } from './docker-availability.js';
import { DockerRuntime } from './docker-runtime.js';
import { projectContainers, removeProject } from './project-cleanup.js';

/** Real Docker Compose v2: used when an engine and the Compose plugin answer. */
export const dockerDriver: RuntimeDriver = {
  kind: 'docker',
  idLabel: 'CONTAINER',
  idOf: (instance) => instance.containerId?.slice(0, 12),
  async availability() {
    const found = await dockerAvailable();
    return found.ok
      ? { ok: true, detail: `engine ${found.engine}, compose ${found.compose}` }
      : { ok: false, detail: found.problem ?? 'no engine', problem: found.problem ?? 'no Docker engine answers', fix: found.fix };
  },
  async create(env, routerPort, variables, containment) {
    // Containers reach the router through the host-gateway alias; see routerHostsForContainers.
    const hosts = await routerHostsForContainers();
    const interpolation = { ...variables, ROUTER_URL: `http://${hosts.urlHost}:${routerPort}` };
    return {
      runtime: new DockerRuntime({ projectName: env.projectName, composeFile: env.composeFile, stateDir: env.stateDir, interpolationEnv: interpolation, containment }),
      extraRouterHosts: [hosts.bindHost],
      interpolation,
    };
  },
  async leftovers(record) {
    const containers = await projectContainers(record.projectName).catch(() => []);
    return containers.length > 0 ? [`${containers.length} container(s) of docker project ${record.projectName}`] : [];
  },
  async cleanUpLeftovers(record) {
    const removed = await removeProject(record.projectName, 2).catch(() => 0);
    return removed > 0 ? [`${removed} container(s) of docker project ${record.projectName}`] : [];
  },
  async signal(instance, signal) {
    if (!instance.containerId) throw new Error(`${instance.id} has no container id`);
    await docker(['kill', '--signal', signal, instance.containerId]);
  },
};
