import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { ProjectSpec, ServiceSpec } from '../../compose/model.js';
import type { ExecResult, ExitInfo, InstanceHandle, Runtime } from '../runtime.js';
import { ComposeProject, composeError, isComposeFailure } from './compose-project.js';
import { bindingVariables, overridePath, versionImage, writeOverride } from './compose-override.js';
import { ContainerLogs } from './container-logs.js';
import { docker, DockerCommandError, inspectContainers, isGone, loopbackPort, runDockerRaw, type ContainerInfo } from './docker-cli.js';
import { dockerAvailable } from './docker-availability.js';
import { chooseBaseImage, composeFileUses, missingBaseImage, missingBaseImageError, nodeBaseImage } from './base-image.js';
import { dockerImages } from './docker-images.js';
import { ContainerEvents, type ContainerDied } from './docker-events.js';
import { KeyedLock } from './keyed-lock.js';
import { removeProject, removeProjectShellLine } from './project-cleanup.js';
import { Reaper } from '../reaper.js';
import { UserError } from '../../control-plane/user-error.js';
import { healthcheckArgv, runWithTimeout } from '../healthcheck-command.js';
import { buildServiceBundles } from './service-bundles.js';
import type { Containment } from '../../containment/containment.js';
import { withBuildLock } from './build-lock.js';

export { dockerAvailable, routerHostsForContainers, type DockerAvailability } from './docker-availability.js';

export interface DockerRuntimeOptions {
  /** Compose project name (`-p`): containers are <project>-<service>-<n> */
  projectName: string;
  /** the student's compose file, absolute */
  composeFile: string;
  /** where the runtime keeps its files (the generated compose.override.yaml) */
  stateDir: string;
  /** variables for ${VAR} interpolation in the compose file */
  interpolationEnv: Record<string, string>;
  /** untrusted services (grading): hardened containers, build scripts in the sandbox */
  containment?: Containment;
}

interface Tracked {
  handle: InstanceHandle;
  service: ServiceSpec;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(osConstants.signals).map(([name, number]) => [number, name]));

/**
 * Runs the compose file on real Docker Compose v2. Compose creates the containers (so names, labels, networks and
 * `docker compose ps` are what students know); the platform above decides how many, restarts them, probes them and
 * routes to them. Raw `docker` is used only where Compose has no verb for one container (start, stop, kill, rm,
 * inspect, exec, events, logs).
 */
export class DockerRuntime extends EventEmitter implements Runtime {
  readonly kind = 'docker' as const;
  private readonly compose: ComposeProject;
  private readonly events: ContainerEvents;
  private readonly logs: ContainerLogs;
  private readonly services = new Map<string, ServiceSpec>();
  /** per service, what the override was last written with (bindings, version, environment) */
  private readonly written = new Map<string, string>();
  /** containers this runtime started, by full id */
  private readonly tracked = new Map<string, Tracked>();
  /** containers being stopped or removed on purpose: their death is not news */
  private readonly stopping = new Set<string>();
  /** containers being started right now: a death is held back until start()/restart() has returned their handle */
  private readonly starting = new Map<string, ContainerDied | undefined>();
  /** per service: listing + creating (+ removing) containers must not interleave, or `--scale` counts go wrong */
  private readonly serviceLock = new KeyedLock();
  /** until the project's network exists, one `up` at a time: concurrent first `up`s create duplicate networks */
  private networkReady = false;
  private shuttingDown?: Promise<void>;
  /** shutdown() was called: nothing starts any more */
  private closed = false;
  /** removes the project's containers if the control plane dies without doing it */
  private readonly reaper: Reaper;

  constructor(private readonly options: DockerRuntimeOptions) {
    super();
    this.compose = new ComposeProject({
      projectName: options.projectName,
      composeFile: options.composeFile,
      overrideFile: overridePath(options.stateDir),
      env: { ...process.env, ...options.interpolationEnv },
    });
    this.events = new ContainerEvents(options.projectName);
    this.events.on('die', (died: ContainerDied) => this.onDie(died));
    this.events.on('problem', (message: string) => this.emit('log', 'runtime', message));
    this.logs = new ContainerLogs((source, line) => this.emit('log', source, line));
    this.reaper = new Reaper(removeProjectShellLine(options.projectName));
  }

  async prepare(project: ProjectSpec, progress: (line: string) => void): Promise<void> {
    const available = await dockerAvailable();
    if (!available.ok) throw new UserError(`docker runtime: ${available.problem}`, available.fix);
    progress(`docker runtime: engine ${available.engine}, compose ${available.compose}, project "${this.options.projectName}"`);
    for (const service of project.services) this.services.set(service.name, service);
    this.writeOverride();
    this.events.start();

    const built = project.services.filter((service) => service.build);
    if (built.length > 0) {
      await this.resolveBaseImage(progress);
      await withBuildLock(built.map((service) => service.build!.context), async () => {
        let started = Date.now();
        await buildServiceBundles(built, progress, this.options.containment);
        progress(`bundles ready in ${((Date.now() - started) / 1000).toFixed(1)} s; building images: ${built.map((s) => s.name).join(', ')}`);
        started = Date.now();
        await this.buildImages(built.map((s) => s.name), progress);
        progress(`images built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }, () => progress('waiting for another environment building the same services…'));
    }

    const imageOnly = project.services.filter((service) => !service.build && service.image);
    const missing: ServiceSpec[] = [];
    for (const service of imageOnly) {
      const found = await runDockerRaw(['image', 'inspect', '--format', '{{.Id}}', service.image!], { timeoutMs: 10_000 });
      if (found.code !== 0) missing.push(service);
    }
    if (missing.length > 0) {
      progress(`pulling ${missing.map((s) => `${s.name} (${s.image})`).join(', ')}`);
      try {
        await this.compose.pull(missing.map((s) => s.name), (line) => line.trim() && progress(`pull: ${line.trim()}`));
      } catch (failure) {
        const names = missing.map((s) => `"${s.image}" (service ${s.name})`).join(', ');
        throw composeError(
          `image ${names} is not on this machine and could not be pulled. Offline, build the kit's images from this machine's files (.ci/install-docker.sh, or platform/src/runtimes/docker/host-images/build-host-images.sh), or point the compose file at an image you have (docker images)`,
          failure,
          8,
        );
      }
    }
  }

  async buildVersion(service: ServiceSpec, progress: (line: string) => void): Promise<string> {
    this.assertRunning();
    if (!service.build) {
      const found = await runDockerRaw(['image', 'inspect', '--format', '{{.Id}}', service.image!], { timeoutMs: 10_000 });
      if (found.code !== 0) throw new UserError(`image "${service.image}" of service ${service.name} is not on this machine`, `pull it (docker pull ${service.image}), then deploy again`);
      return found.stdout.trim();
    }
    // The new tag goes into the override only for this build; containers keep being made from the running version's
    // image until the control plane starts the new version.
    const running = this.services.get(service.name);
    await this.serviceLock.run(service.name, async () => {
      this.services.set(service.name, service);
      this.writeOverride();
    });
    try {
      await withBuildLock([service.build.context], async () => {
        await buildServiceBundles([service], progress, this.options.containment);
        await this.buildImages([service.name], progress);
      }, () => progress('waiting for another environment building the same service…'));
    } finally {
      await this.serviceLock.run(service.name, async () => {
        if (running) this.services.set(service.name, running);
        this.writeOverride();
      });
    }
    const image = versionImage(this.options.projectName, service);
    const built = await runDockerRaw(['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 10_000 });
    return built.stdout.trim() || image;
  }

  async start(service: ServiceSpec, count: number): Promise<InstanceHandle[]> {
    if (count <= 0) return [];
    this.assertRunning();
    // A new service, or bindings or a version that changed since the override was written (the containers made now must get them).
    if (!this.services.has(service.name) || !existsSync(overridePath(this.options.stateDir)) || this.written.get(service.name) !== overrideInputs(service)) {
      this.services.set(service.name, service);
      this.writeOverride();
    }
    this.services.set(service.name, service);
    this.events.start();

    const created = await this.serviceLock.run(service.name, () =>
      this.networkReady ? this.createContainers(service, count) : this.serviceLock.run('\0network', () => this.createContainers(service, count)),
    );
    for (const id of created) this.starting.set(id, undefined);
    try {
      // One `docker start` per container, side by side (the CLI starts a list one after the other).
      const starts = await Promise.allSettled(created.map((id) => docker(['start', id])));
      const failed = starts.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        // Leave nothing half-made behind: created-but-unstarted containers would count in the next `--scale`.
        for (const id of created) this.stopping.add(id);
        await this.serviceLock.run(service.name, () => docker(['rm', '--force', '--volumes', ...created]).catch(() => undefined));
        throw new Error(`service "${service.name}": its container would not start: ${(failed.reason as Error).message}`);
      }
      const infos = await inspectContainers(created);
      const handles = infos.map((info) => this.track(service, info)).sort((a, b) => a.index - b.index);
      return handles;
    } finally {
      this.releaseStarting(created);
    }
  }

  async restart(service: ServiceSpec, handle: InstanceHandle): Promise<InstanceHandle> {
    this.assertRunning();
    const id = this.containerId(handle);
    this.starting.set(id, undefined);
    try {
      // Logs of this run are the lines after the previous run ended (not after StartedAt: a process that fails at
      // once can log before Docker records its start).
      const [previous] = await inspectContainers([id]).catch(() => []);
      try {
        await docker(['start', id]);
      } catch (error) {
        if (isGone(error)) throw new Error(`${handle.service}/${handle.index}: its container ${id.slice(0, 12)} no longer exists (removed outside the platform?)`);
        throw error;
      }
      const [info] = await inspectContainers([id]);
      return this.track(service, info!, previous?.State.FinishedAt);
    } finally {
      this.releaseStarting([id]);
    }
  }

  async stop(handle: InstanceHandle, graceMs: number): Promise<void> {
    const id = this.containerId(handle);
    this.stopping.add(id);
    try {
      await docker(['stop', '-t', String(Math.max(0, Math.ceil(graceMs / 1000))), id], { timeoutMs: graceMs + 30_000 }).catch((error) => {
        if (!isGone(error)) throw error;
      });
      // Removing changes what `--scale` counts, so it waits for any start of the same service in progress.
      await this.serviceLock.run(handle.service, () =>
        docker(['rm', '--force', '--volumes', id]).catch((error) => {
          if (!isGone(error)) throw error;
        }),
      );
    } finally {
      this.logs.unfollow(id);
      this.tracked.delete(id);
      // A die event can still be on its way; keep ignoring this id for a moment.
      setTimeout(() => this.stopping.delete(id), 5000).unref();
    }
  }

  async kill(handle: InstanceHandle): Promise<void> {
    const id = this.containerId(handle);
    try {
      await docker(['kill', '--signal', 'KILL', id]);
    } catch (error) {
      if (error instanceof DockerCommandError && /is not running/i.test(error.result.stderr)) throw new Error(`${handle.service}/${handle.index} is not running`);
      if (isGone(error)) throw new Error(`${handle.service}/${handle.index}: its container ${id.slice(0, 12)} no longer exists`);
      throw error;
    }
  }

  async exec(handle: InstanceHandle, test: string[], timeoutMs: number): Promise<ExecResult> {
    // `docker exec` runs the test inside the container, as Docker's own healthcheck would.
    return runWithTimeout(['docker', 'exec', this.containerId(handle), ...healthcheckArgv(test)], { timeoutMs });
  }


  shutdown(): Promise<void> {
    this.closed = true;
    this.shuttingDown ??= this.tearDown().catch((error: unknown) => {
      this.shuttingDown = undefined; // let a later call try again
      throw error;
    });
    return this.shuttingDown;
  }

  // --- internals ---------------------------------------------------------------------------------------------

  private async tearDown(): Promise<void> {
    this.events.stop();
    for (const id of this.tracked.keys()) this.stopping.add(id);
    try {
      if (!existsSync(overridePath(this.options.stateDir))) this.writeOverride();
      await this.compose.down(5);
    } catch (failure) {
      // Compose must read the file to take the project down; if the student broke it meanwhile, go by the labels.
      const reason = composeError('docker compose down failed', failure, 3).message.split('\n').slice(-1)[0];
      this.emit('log', 'runtime', `${reason}; removing project "${this.options.projectName}" by its labels instead`);
      await removeProject(this.options.projectName);
    } finally {
      this.logs.stopAll();
      this.tracked.clear();
    }
    // Only once the project is really gone: otherwise the reaper still removes it when this process ends.
    this.reaper.dismiss();
  }


  private writeOverride(): void {
    const services = [...this.services.values()];
    for (const [name, value] of Object.entries(bindingVariables(services))) this.compose.setVariable(name, value);
    for (const service of services) this.written.set(service.name, overrideInputs(service));
    writeOverride(this.options.stateDir, services, this.options.containment, this.options.projectName);
  }

  /** Before anything is bundled: a machine without a base image fails here, fast and with the fix. */
  private async resolveBaseImage(progress: (line: string) => void): Promise<void> {
    const rule = nodeBaseImage();
    if (!composeFileUses(this.options.composeFile, rule.variable)) return;
    const explicit = { ...process.env, ...this.options.interpolationEnv }[rule.variable] || undefined;
    const choice = await chooseBaseImage(rule, dockerImages(), explicit, progress);
    progress(choice.line);
    this.compose.setVariable(rule.variable, choice.image);
  }

  private async buildImages(names: string[], progress: (line: string) => void): Promise<void> {
    // `--progress plain` says "#7 [catalog 3/3] COPY ..." for each step and "#7 ERROR: ..." when one fails.
    const stepService = new Map<string, string>();
    const tail: string[] = [];
    let failedStep: string | undefined;
    try {
      await this.compose.build(names, (line) => {
        tail.push(line);
        if (tail.length > 60) tail.shift();
        const step = /^#(\d+) \[([^\s\]]+)[ \]]/.exec(line);
        if (step) {
          if (!stepService.has(step[1]!)) progress(`build: ${line}`);
          stepService.set(step[1]!, step[2]!);
        }
        const error = /^#(\d+) ERROR/.exec(line);
        if (error) failedStep ??= error[1];
      });
    } catch (failure) {
      const missing = missingBaseImage(tail);
      if (missing) throw missingBaseImageError(nodeBaseImage(), missing.service, missing.image, missing.reason);
      const service = (failedStep && stepService.get(failedStep)) ?? guessService(failure, names);
      const lines = [...tail, ...(isComposeFailure(failure) ? failure.out.split('\n') : [])]
        .filter((line) => line.trim() !== '' && !/^#\d+ (DONE|CACHED)/.test(line))
        .slice(-20)
        .join('\n');
      throw new Error(`docker build of service "${service ?? names.join(', ')}" failed. Last lines of the build:\n${lines}`);
    }
  }

  /** Creates `count` more containers of `service` with Compose; returns the new containers' ids. */
  private async createContainers(service: ServiceSpec, count: number): Promise<string[]> {
    const before = await this.compose.containerIds(service.name).catch((failure) => {
      throw composeError(`service "${service.name}": docker compose ps failed`, failure);
    });
    try {
      await this.compose.createReplicas(service.name, before.length + count);
    } catch (failure) {
      throw composeError(`service "${service.name}": could not create ${count} container(s)`, failure);
    }
    this.networkReady = true;
    const after = await this.compose.containerIds(service.name);
    const known = new Set(before);
    const created = after.filter((id) => !known.has(id));
    if (created.length !== count) {
      this.emit('log', 'runtime', `service "${service.name}": asked Compose for ${count} container(s), it created ${created.length}`);
    }
    if (created.length === 0) throw new Error(`service "${service.name}": Compose created no container (asked for ${count})`);
    return created;
  }

  /** Turns an inspected container into a handle, remembers it and follows its logs (from `logsSince`, else all). */
  private track(service: ServiceSpec, info: ContainerInfo, logsSince?: string): InstanceHandle {
    const labels = info.Config.Labels ?? {};
    const index = Number(labels['com.docker.compose.container-number'] ?? 0);
    const handle: InstanceHandle = {
      service: service.name,
      index,
      host: '127.0.0.1',
      port: loopbackPort(info, service.containerPort),
      containerId: info.Id,
    };
    this.tracked.set(info.Id, { handle, service });
    // Also for a container that already died: its last words are often why.
    this.logs.follow(info.Id, `${service.name}/${index}`, logsSince);
    return handle;
  }

  /** After start()/restart() returned, report deaths that happened while they were running. */
  private releaseStarting(ids: string[]): void {
    const held = ids.map((id) => this.starting.get(id)).filter((died): died is ContainerDied => died !== undefined);
    for (const id of ids) this.starting.delete(id);
    if (held.length > 0) setTimeout(() => held.forEach((died) => this.onDie(died)), 0);
  }

  private onDie(died: ContainerDied): void {
    if (this.closed || this.stopping.has(died.id)) return;
    if (this.starting.has(died.id)) {
      this.starting.set(died.id, died);
      return;
    }
    const tracked = this.tracked.get(died.id);
    if (!tracked) return;
    const code = died.exitCode;
    const signal = code !== null && code > 128 ? (SIGNAL_NAMES.get(code - 128) ?? null) : null;
    // Its last lines first (they explain the crash), then the news of its death — as the process runtime does.
    // Docker records whether the kernel's OOM killer ended it; the die event doesn't say.
    const oomKilled = inspectContainers([died.id]).then(([info]) => Boolean(info?.State.OOMKilled), () => false);
    void Promise.all([this.logs.settled(died.id), oomKilled]).then(([, oom]) => {
      if (!this.closed) this.emit('exit', tracked.handle, { code, signal, reason: oom ? 'OOMKilled' : undefined } satisfies ExitInfo);
    });
  }

  private containerId(handle: InstanceHandle): string {
    if (!handle.containerId) throw new Error(`${handle.service}/${handle.index} has no container id (not a docker instance?)`);
    return handle.containerId;
  }

  private assertRunning(): void {
    if (this.closed) throw new Error('the docker runtime is shutting down');
  }
}

function guessService(failure: unknown, names: string[]): string | undefined {
  const text = isComposeFailure(failure) ? `${failure.err}\n${failure.out}` : String(failure);
  return names.find((name) => new RegExp(`\\b(target|service) "?${name}"?`, 'i').test(text) || text.includes(`[${name} `));
}

/** What the override says of a service: when it changes, the override is written again before containers are made. */
function overrideInputs(service: ServiceSpec): string {
  return JSON.stringify([service.bindingEnvironment ?? {}, service.version ?? 1, service.environment]);
}
