import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { ProjectSpec } from '../compose/model.js';
import { UserError } from '../control-plane/user-error.js';
import { chooseBaseImage, nodeBaseImage, postgresBaseImage } from '../runtimes/docker/base-image.js';
import { docker, runDockerRaw } from '../runtimes/docker/docker-cli.js';
import { dockerAvailable } from '../runtimes/docker/docker-availability.js';
import { dockerImages } from '../runtimes/docker/docker-images.js';
import { buildServiceBundles } from '../runtimes/docker/service-bundles.js';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';
import { passwordVariable, STACK_NETWORK, swarmStack } from './swarm-stack.js';
import type { Unmapped } from './unmapped.js';

const GATEWAY_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'gateway.mjs');
const CONVERGE_TIMEOUT_MS = 300_000;

export interface SwarmTarget {
  /** the stack's name (`docker stack ls`) */
  stack: string;
  /** where the deploy's files are kept: the stack file, the data services' passwords (0600) */
  stateDir: string;
  /** the gateway's port on 127.0.0.1 */
  port: number;
}

export interface SwarmDeployment {
  stack: string;
  gatewayUrl: string;
  /** `docker swarm init` was run for this deploy */
  initialized: boolean;
  stackFile: string;
  services: { name: string; replicas: string; image: string }[];
  unmapped: Unmapped[];
}

const gatewayName = (stack: string) => `${stack}-gateway`;
/** on the images a deploy builds (each deploy builds under a new tag), so that removing the stack removes them */
const STACK_LABEL = 'tall.graduate.stack';

/**
 * `docker stack deploy` of the compose file, on whatever swarm the docker CLI points at (its context): images built as
 * the docker runtime builds them, each deploy under a new tag so Swarm rolls every service by its update_config; a
 * gateway container on 127.0.0.1 in front (Swarm's own routing mesh publishes on every interface of every node, which
 * the kit never does); resolves once every service has its replicas running and no update is in progress.
 */
export async function deployToSwarm(project: ProjectSpec, target: SwarmTarget, options: { init: boolean; progress: (line: string) => void }): Promise<SwarmDeployment> {
  const { progress } = options;
  const available = await dockerAvailable();
  if (!available.ok) throw new UserError(`no Docker engine: ${available.problem}`, available.fix ?? 'start Docker, then try again');
  const initialized = await ensureSwarm(options.init, progress);

  const tag = `g${Date.now().toString(36)}`;
  const images: Record<string, string> = {};
  const built = project.services.filter((service) => service.build);
  // The services' base image, and the gateway's.
  const node = await chooseBaseImage(nodeBaseImage(), dockerImages(), process.env.TALL_NODE_IMAGE || undefined, progress);
  if (built.length > 0) {
    await buildServiceBundles(built, progress);
    for (const service of built) {
      images[service.name] = `${target.stack}-${service.name}:${tag}`;
      progress(`building ${images[service.name]}`);
      const build = service.build!;
      const args = ['build', '-t', images[service.name]!, '--label', `${STACK_LABEL}=${target.stack}`, '--build-arg', `NODE_IMAGE=${node.image}`, ...Object.entries(build.args).filter(([name]) => name !== 'NODE_IMAGE').flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]), ...(build.dockerfile ? ['-f', join(build.context, build.dockerfile)] : []), build.context];
      await docker(args, { timeoutMs: 600_000 });
    }
  }
  const postgres = project.dataServices?.length ? (await chooseBaseImage(postgresBaseImage(), dockerImages(), process.env.TALL_POSTGRES_IMAGE || undefined, progress)).image : 'postgres:15';

  const rendered = swarmStack(project, { images, postgresImage: postgres });
  ensurePrivateDir(target.stateDir);
  const stackFile = join(target.stateDir, 'stack.yaml');
  writePrivateFile(stackFile, `# docker stack deploy of ${project.file} (tall graduate swarm); passwords are variables, given to the deploy only\n${YAML.stringify(rendered.stack, { lineWidth: 0 })}`);
  const passwords = dataPasswords(target.stateDir, project);
  progress(`docker stack deploy ${target.stack} (${project.services.length} services${project.dataServices?.length ? `, ${project.dataServices.length} data services` : ''})`);
  await docker(['stack', 'deploy', '--prune', '--compose-file', stackFile, target.stack], { timeoutMs: 180_000, env: { ...process.env, ...Object.fromEntries(rendered.secretVariables.map((name) => [name, passwords[name]!])) } });

  await startGateway(target, rendered.routes, node.image, progress);
  const services = await converged(target.stack, progress);
  return {
    stack: target.stack,
    gatewayUrl: `http://127.0.0.1:${target.port}`,
    initialized,
    stackFile,
    services: services.map((service) => ({ ...service, image: images[service.name.slice(target.stack.length + 1)] ?? service.image })),
    unmapped: rendered.unmapped,
  };
}

/**
 * `docker stack rm`, the gateway and the images the deploys built; resolves once the stack's services and network are
 * gone. Volumes stay (they are the data); `volumes: true` removes them too.
 */
export async function removeFromSwarm(target: SwarmTarget, progress: (line: string) => void, options: { volumes?: boolean } = {}): Promise<{ removed: boolean; volumes: string[]; volumesRemoved: boolean }> {
  await runDockerRaw(['rm', '--force', gatewayName(target.stack)]);
  const listed = await runDockerRaw(['stack', 'ls', '--format', '{{.Name}}']);
  if (!listed.stdout.split('\n').includes(target.stack)) {
    // A deploy that failed after its builds leaves images, and no stack.
    await removeImages(target.stack);
    return { removed: false, volumes: [], volumesRemoved: false };
  }
  progress(`docker stack rm ${target.stack}`);
  // The services go at once, their tasks a moment later: the network, still in use by a task that is stopping, can fail
  // to go ("is in use by task"). That is asked again below once the tasks are gone.
  const removed = await runDockerRaw(['stack', 'rm', target.stack], { timeoutMs: 120_000 });
  if (removed.code !== 0 && !/in use by task|failed to remove some resources/i.test(removed.stderr)) throw new UserError(`docker stack rm ${target.stack} failed: ${removed.stderr.trim().split('\n').at(-1)}`, 'see docker stack ps and docker network ls');
  await waitUntil(`the stack ${target.stack} to be gone`, async () => {
    const left = (await runDockerRaw(['network', 'ls', '--filter', `label=com.docker.stack.namespace=${target.stack}`, '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean);
    const tasks = await runDockerRaw(['ps', '-a', '--filter', `label=com.docker.stack.namespace=${target.stack}`, '--format', '{{.ID}}']);
    if (tasks.stdout.trim() !== '') return false;
    if (left.length > 0) await runDockerRaw(['network', 'rm', ...left]);
    return left.length === 0;
  }, 120_000);
  await removeImages(target.stack);
  const volumes = (await runDockerRaw(['volume', 'ls', '--filter', `label=com.docker.stack.namespace=${target.stack}`, '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean);
  if (options.volumes && volumes.length > 0) {
    progress(`docker volume rm ${volumes.join(' ')}`);
    // A volume is freed a moment after its container is gone.
    await waitUntil(`the volumes of ${target.stack} to be removed`, async () => (await runDockerRaw(['volume', 'rm', ...volumes])).code === 0 || (await runDockerRaw(['volume', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${target.stack}`])).stdout.trim() === '', 60_000);
  }
  return { removed: true, volumes, volumesRemoved: Boolean(options.volumes) };
}

async function removeImages(stack: string): Promise<void> {
  const built = (await runDockerRaw(['image', 'ls', '--filter', `label=${STACK_LABEL}=${stack}`, '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter(Boolean);
  if (built.length > 0) await runDockerRaw(['image', 'rm', ...built]);
}

async function ensureSwarm(init: boolean, progress: (line: string) => void): Promise<boolean> {
  const [state, manager] = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}|{{.Swarm.ControlAvailable}}'], { timeoutMs: 30_000 })).trim().split('|');
  if (state === 'active') {
    if (manager !== 'true') throw new UserError('this Docker engine is a worker of a swarm: stacks are deployed on a manager', 'point the docker CLI at a manager (docker context use …), then try again');
    return false;
  }
  if (!init) throw new UserError(`this Docker engine is not part of a swarm (its swarm state: ${state})`, 'make it a single-node swarm: npx tall graduate swarm --init (runs docker swarm init), or point the docker CLI at a swarm manager (docker context use …)');
  progress('docker swarm init --advertise-addr 127.0.0.1 (a single-node swarm on this machine; docker swarm leave --force undoes it)');
  const made = await runDockerRaw(['swarm', 'init', '--advertise-addr', '127.0.0.1'], { timeoutMs: 60_000 });
  // Another deploy (a class's checks side by side) may have made it a moment before: that swarm does as well.
  if (made.code !== 0 && !/already part of a swarm/i.test(made.stderr)) throw new UserError(`docker swarm init failed: ${made.stderr.trim().split('\n').at(-1)}`, 'see docker info; docker swarm leave --force undoes a half-made swarm');
  return made.code === 0;
}

/** One random password per data service, made once and kept (0600): a volume initialised with it keeps needing it. */
function dataPasswords(stateDir: string, project: ProjectSpec): Record<string, string> {
  const file = join(stateDir, 'credentials.json');
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  for (const data of project.dataServices ?? []) known[passwordVariable(data.name)] ??= randomBytes(18).toString('hex');
  writePrivateFile(file, JSON.stringify(known, null, 2));
  return known;
}

async function startGateway(target: SwarmTarget, routes: { route: string; service: string; port: number }[], image: string, progress: (line: string) => void): Promise<void> {
  const name = gatewayName(target.stack);
  const wanted = routes.map((route) => `${route.route}=${route.service}:${route.port}`).join(',');
  const running = await runDockerRaw(['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}{{.State.Running}}', name]);
  if (running.code === 0 && running.stdout.includes(`ROUTES=${wanted}\n`) && running.stdout.trim().endsWith('true')) return;
  await runDockerRaw(['rm', '--force', name]);
  progress(`gateway: 127.0.0.1:${target.port} -> ${routes.map((route) => `/${route.route}`).join(', ')}`);
  const started = await runDockerRaw(['run', '--detach', '--name', name, '--label', `${STACK_LABEL}=${target.stack}`, '--network', `${target.stack}_${STACK_NETWORK}`,
    '--publish', `127.0.0.1:${target.port}:8080`, '--env', `ROUTES=${wanted}`, '--volume', `${GATEWAY_SCRIPT}:/gateway/gateway.mjs:ro`, '--restart', 'unless-stopped', '--user', 'node',
    image, 'node', '/gateway/gateway.mjs'], { timeoutMs: 60_000 });
  if (started.code !== 0) {
    const taken = /address already in use|port is already allocated/i.test(started.stderr);
    throw new UserError(`the gateway could not start: ${started.stderr.trim().split('\n').at(-1)}`, taken ? `port ${target.port} is taken: choose another with --port` : 'see the message above');
  }
}

/** Every service of the stack with its replicas running, and no update or rollback in progress. */
async function converged(stack: string, progress: (line: string) => void): Promise<{ name: string; replicas: string; image: string }[]> {
  let last = '';
  let services: { name: string; replicas: string; image: string }[] = [];
  const behind = () => services.filter((service) => !/^(\d+)\/\1\b/.test(service.replicas));
  await waitUntil(`every service of ${stack} to run its replicas`, async () => {
    const listed = await runDockerRaw(['service', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Name}}\t{{.Replicas}}\t{{.Image}}']);
    services = listed.stdout.split('\n').filter(Boolean).map((line) => {
      const [name = '', replicas = '', image = ''] = line.split('\t');
      return { name, replicas, image };
    });
    const states = await Promise.all(services.map(async (service) => (await runDockerRaw(['service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', service.name])).stdout.trim()));
    const failed = states.findIndex((state) => state === 'paused' || state === 'rollback_completed' || state === 'rollback_paused');
    if (failed >= 0) {
      const message = (await runDockerRaw(['service', 'inspect', '--format', '{{.UpdateStatus.Message}}', services[failed]!.name])).stdout.trim();
      throw new UserError(`${services[failed]!.name}: the update ${states[failed]} (${message})`, `see docker service ps ${services[failed]!.name} --no-trunc`);
    }
    const line = services.map((service) => `${service.name} ${service.replicas}`).join(' · ');
    if (line !== last) progress(line);
    last = line;
    return services.length > 0 && behind().length === 0 && states.every((state) => state === '' || state === 'completed');
  }, CONVERGE_TIMEOUT_MS, async () => {
    // What the tasks that keep failing last said: the reason a learner needs, instead of "it timed out".
    const reasons = await Promise.all(behind().map(async (service) => {
      const tasks = await runDockerRaw(['service', 'ps', service.name, '--no-trunc', '--format', '{{.Error}}']);
      const logs = await runDockerRaw(['service', 'logs', '--tail', '3', '--no-task-ids', service.name], { timeoutMs: 15_000 });
      return `${service.name} ${service.replicas}: ${tasks.stdout.split('\n').find(Boolean) ?? 'no task has failed yet'}${logs.stdout.trim() ? `; its last lines: ${logs.stdout.trim().split('\n').map((line) => line.replace(/^\S+\s+\|\s?/, '')).join(' / ')}` : ''}`;
    }));
    return reasons.join('\n');
  });
  return services;
}

async function waitUntil(what: string, done: () => Promise<boolean>, timeoutMs: number, why: () => Promise<string> = async () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) {
      const detail = await why();
      throw new UserError(`gave up waiting for ${what} after ${timeoutMs / 1000} s${detail ? `:\n${detail}` : ''}`, 'see docker service ls and docker service ps <service> --no-trunc');
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}
