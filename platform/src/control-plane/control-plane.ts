import { EventEmitter } from 'node:events';
import type { ProjectSpec, ServiceSpec } from '../compose/model.js';
import { CrashCounter, type BackoffCurve } from '../failover/backoff.js';
import { InstanceHealth } from '../failover/health-manager.js';
import { shouldRestart } from '../failover/restart-policy.js';
import type { EventLog } from '../monitoring/event-log.js';
import type { LogStore } from '../monitoring/log-store.js';
import type { RoutingTable } from '../routing/routing-table.js';
import type { RouterNotice } from '../routing/router.js';
import { routeSettings } from '../routing/route-settings.js';
import { drain } from '../scaling/drain.js';
import type { ExitInfo, InstanceHandle, Runtime } from '../runtimes/runtime.js';
import { describeBytes } from '../compose/resource-limits.js';
import { instanceId, viewOf, type Instance, type InstanceView } from './instance.js';
import { UserError } from './user-error.js';
import type { Fleet } from '../delivery/fleet.js';
import { rollInstances } from '../delivery/rolling-update.js';
import { autoscaleStatus, type AutoscaleStatus } from '../autoscaling/autoscaler.js';

export type Phase = 'starting' | 'running' | 'failed' | 'stopping';

export interface StartupFailure {
  service: string;
  instance?: string;
  reason: string;
  /** what to do about it, when more precise than "fix the service" */
  fix?: string;
  /** every problem, when there are several of the same kind (a compose file's) */
  problems?: string[];
  logTail: string[];
}

export interface ServiceView {
  name: string;
  route: string | false;
  balance: string;
  desired: number;
  ready: number;
  /** an autoscaled service's policy and its last figures */
  autoscale?: AutoscaleStatus;
}

/**
 * The platform's brain: holds the desired state (which services, how many instances) and keeps the runtime there —
 * starting, restarting with backoff, draining and stopping instances, and telling the router which ones are ready.
 */
export class ControlPlane extends EventEmitter {
  phase: Phase = 'starting';
  failure?: StartupFailure;
  private readonly desired = new Map<string, number>();
  private readonly instances = new Map<string, Instance>();
  private readonly specs: Map<string, ServiceSpec>;
  private readonly autoscaling = new Map<string, AutoscaleStatus>();

  constructor(
    readonly project: ProjectSpec,
    private readonly runtime: Runtime,
    private readonly router: RoutingTable,
    private readonly events: EventLog,
    private readonly logs: LogStore,
    private readonly options: { backoff?: BackoffCurve; /** grading's ceiling on instances per service */ maxReplicas?: number } = {},
  ) {
    super();
    this.specs = new Map(project.services.map((service) => [service.name, service]));
    for (const service of project.services) {
      this.desired.set(service.name, service.replicas);
      if (service.tall.route) router.declare(service.tall.route, routeSettings(service.tall.balance, service.tall.timeouts));
    }
    runtime.on('log', (source: string, line: string) => logs.write(source, line));
    runtime.on('exit', (handle: InstanceHandle, info: ExitInfo) => this.onExit(handle, info));
  }

  /**
   * Brings every service up, each as soon as its dependencies allow it — as Compose reads depends_on: `service_started`
   * waits only for the dependency to be started, `service_healthy` for it to be ready, `service_completed_successfully`
   * for it to have exited with code 0 — so services without such conditions start side by side. Resolves when every
   * instance is ready; rejects naming what failed.
   */
  async up(timeoutMs: number, progress: (line: string) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const services = this.project.services;
    const launched = new Set<string>();
    const started = new Set<string>();
    const satisfied = (service: ServiceSpec) => Object.entries(service.dependsOn).every(([dependency, condition]) => started.has(dependency) && (
      condition === 'service_started' ||
      (condition === 'service_healthy' && this.readyCount(dependency) >= this.desired.get(dependency)!) ||
      (condition === 'service_completed_successfully' && this.instancesOf(dependency).every((instance) => instance.state === 'exited' && instance.lastExit?.code === 0))));
    const launches: Promise<void>[] = [];
    try {
      while (launched.size < services.length) {
        for (const service of services.filter((candidate) => !launched.has(candidate.name) && satisfied(candidate))) {
          launched.add(service.name);
          launches.push(this.addInstances(service, service.replicas).then(() => {
            started.add(service.name);
            progress(`started ${service.replicas} × ${service.name}`);
          }));
        }
        if (launched.size < services.length) {
          await this.waitUntil(() => services.some((candidate) => !launched.has(candidate.name) && satisfied(candidate)), deadline);
        }
      }
      await Promise.all(launches);
      await this.waitUntil(() => services.every((service) => this.readyCount(service.name) >= this.desired.get(service.name)!), deadline);
      this.phase = 'running';
      this.events.record('platform', `all ${services.length} services ready`);
    } catch (error) {
      this.phase = 'failed';
      // A runtime that could not start a service says why; only a wait that ran out is "not ready in time".
      this.failure ??= error instanceof StartTimeout
        ? this.describeTimeout()
        : { service: 'platform', reason: (error as Error).message, fix: error instanceof UserError ? error.fix : undefined, logTail: [] };
      this.events.record('failed', this.failure.reason, { service: this.failure.service, instance: this.failure.instance });
      throw error;
    } finally {
      this.emit('changed');
    }
  }

  /** What the router saw: passive health taking an instance out of its route (or back) is news for `tall events` and `ps`. */
  onRouterNotice(notice: RouterNotice): void {
    if (notice.kind !== 'ejected' && notice.kind !== 'returned') return;
    const service = this.project.services.find((spec) => spec.tall.route === notice.route);
    const instance = notice.instance ? this.instances.get(notice.instance) : undefined;
    if (instance) instance.ejected = notice.kind === 'ejected';
    this.events.record(notice.kind, `${notice.instance} ${notice.detail}`, { service: service?.name, instance: notice.instance });
    this.emit('changed');
  }

  services(): ServiceView[] {
    return this.project.services.map((service) => ({
      name: service.name,
      route: service.tall.route,
      balance: service.tall.balance,
      desired: this.desired.get(service.name) ?? 0,
      ready: this.readyCount(service.name),
      // Before the autoscaler's first figure: the policy, not measured yet.
      ...(service.tall.autoscale ? { autoscale: this.autoscaling.get(service.name) ?? autoscaleStatus(service.tall.autoscale, null, this.desired.get(service.name) ?? 0) } : {}),
    }));
  }

  /** The autoscaler's latest figures for a service; news only when they changed. */
  reportAutoscale(serviceName: string, status: AutoscaleStatus): void {
    const before = this.autoscaling.get(serviceName);
    const next = { ...status, lastChange: status.lastChange ?? before?.lastChange };
    if (JSON.stringify(before) === JSON.stringify(next)) return;
    this.autoscaling.set(serviceName, next);
    this.emit('changed');
  }

  instanceViews(): InstanceView[] {
    return [...this.instances.values()].sort((a, b) => a.service.localeCompare(b.service) || a.index - b.index).map(viewOf);
  }

  serviceNames(): string[] {
    return [...this.specs.keys()];
  }

  /** An autoscaling decision that changed nothing but is worth knowing (a window holding the count), as an event. */
  noteAutoscale(serviceName: string, reason: string): void {
    this.events.record('autoscaled', reason, { service: serviceName });
  }

  /**
   * Sets a service's instance count: by hand, or by the autoscaler (`autoscaled`: its reason, which the event carries).
   * On an autoscaled service a count set by hand stands for a while (the daemon asks the autoscaler to hold it).
   */
  async scale(serviceName: string, replicas: number, timeoutMs = 60_000, autoscaled?: string): Promise<{ from: number; to: number; ready: number }> {
    const service = this.requireService(serviceName);
    if (this.options.maxReplicas !== undefined && replicas > this.options.maxReplicas) {
      throw new UserError(`${serviceName} can't have ${replicas} instances here: grading allows at most ${this.options.maxReplicas}`, `scale to ${this.options.maxReplicas} or fewer`);
    }
    const from = this.desired.get(serviceName) ?? 0;
    this.desired.set(serviceName, replicas);
    // The decision first, then what it causes (started, stopping, drained …), in time order.
    if (autoscaled !== undefined) this.events.record('autoscaled', autoscaled, { service: serviceName });
    // A blue-green deploy's idle set is not part of the service's count.
    const current = this.instancesOf(serviceName).filter((instance) => !instance.standby);
    if (replicas > current.length) {
      await this.addInstances(service, replicas - current.length);
      await this.waitUntil(() => this.readyCount(serviceName) >= replicas, Date.now() + timeoutMs).catch(() => {
        throw new UserError(`${serviceName} has ${this.readyCount(serviceName)} of ${replicas} instances ready after ${timeoutMs / 1000} s; see "npx tall logs ${serviceName}"`);
      });
    } else if (replicas < current.length) {
      // Highest indexes go first, so indexes stay 1..n (Compose's container numbers do the same).
      const surplus = current.sort((a, b) => b.index - a.index).slice(0, current.length - replicas);
      await Promise.all(surplus.map((instance) => this.drainAndStop(instance)));
    }
    if (autoscaled === undefined) this.events.record('scaled', `${serviceName} scaled from ${from} to ${replicas}`, { service: serviceName });
    this.emit('changed');
    return { from, to: replicas, ready: this.readyCount(serviceName) };
  }

  /** The route a service is reached at (false: not routed); an error naming the services when there is none by that name. */
  routeOf(serviceName: string): string | false {
    return this.requireService(serviceName).tall.route;
  }

  /** SIGKILLs one instance (or a random one), as a crash would. The health manager brings it back. */
  async kill(serviceName: string, index?: number, why = 'failover drill'): Promise<InstanceView> {
    this.requireService(serviceName);
    const candidates = this.instancesOf(serviceName).filter((instance) => instance.state === 'running' || instance.state === 'starting');
    const target = index === undefined
      ? candidates[Math.floor(Math.random() * candidates.length)]
      : this.instances.get(`${serviceName}/${index}`);
    if (!target) {
      const known = this.instancesOf(serviceName).map((instance) => instanceId(instance)).join(', ') || 'none';
      throw new UserError(`no running instance ${serviceName}${index === undefined ? '' : `/${index}`} (instances: ${known})`);
    }
    this.events.record('killed', `${instanceId(target)} sent SIGKILL (${why})`, { service: serviceName, instance: instanceId(target) });
    await this.runtime.kill(target.handle);
    return viewOf(target);
  }

  async shutdown(): Promise<void> {
    this.phase = 'stopping';
    for (const instance of this.instances.values()) {
      instance.health?.stop();
      clearTimeout(instance.restartTimer);
    }
    await this.runtime.shutdown();
    this.instances.clear();
    this.events.record('platform', 'stopped every instance');
  }

  /**
   * Gives a service new bindings (the environment its data-service bindings inject) and restarts its instances one at a
   * time with them, each new one ready before the next old one goes, so the service stays up: Cloud Foundry's "restage
   * after bind", done as a rolling restart (delivery/rolling-update.ts, as `tall deploy` does, without its monitor).
   * Resolves with the instances that replaced the old ones.
   */
  async rebind(serviceName: string, bindingEnvironment: Record<string, string>, timeoutMs = 120_000): Promise<string[]> {
    const service: ServiceSpec = { ...this.requireService(serviceName), bindingEnvironment };
    const fleet = this.fleet();
    fleet.install(service);
    const old = this.instancesOf(serviceName).filter((instance) => !instance.standby).sort((a, b) => a.index - b.index);
    const rolled = await rollInstances(fleet, service, old, {
      parallelism: 1, delayMs: 0, order: service.updateConfig?.order ?? 'stop-first', monitorMs: 0, maxFailureRatio: 0, readyTimeoutMs: timeoutMs,
      step: () => undefined,
    });
    for (const fresh of rolled.replaced) {
      this.events.record('replaced', `${instanceId(fresh)} replaced an instance of ${serviceName} (its bindings changed)`, { service: serviceName, instance: instanceId(fresh) });
    }
    if (rolled.failure) throw new UserError(`${rolled.failure}; the rolling restart stopped there`, `see why: npx tall logs ${serviceName}`);
    return rolled.replaced.map(instanceId);
  }

  /** The control plane's side of replacing instances (delivery/): deploys, rollbacks and rolling restarts. */
  fleet(): Fleet {
    return {
      spec: (service) => this.requireService(service),
      install: (spec) => {
        const at = this.project.services.findIndex((service) => service.name === spec.name);
        if (at >= 0) this.project.services[at] = spec;
        this.specs.set(spec.name, spec);
      },
      instancesOf: (service) => this.instancesOf(service).sort((a, b) => a.index - b.index),
      add: (spec, count, options) => this.addInstances(spec, count, options?.standby),
      drainAndStop: (instance) => this.drainAndStop(instance),
      setStandby: (instance, standby) => {
        instance.standby = standby;
        this.setInPool(instance, instance.ready);
        this.emit('changed');
      },
      holds: (instance) => this.instances.get(instanceId(instance)) === instance && instance.state !== 'stopping',
      closing: () => this.phase === 'stopping',
      changed: () => this.emit('changed'),
    };
  }

  private async addInstances(service: ServiceSpec, count: number, standby = false): Promise<Instance[]> {
    if (count <= 0) return [];
    const handles = await this.runtime.start(service, count);
    const added: Instance[] = [];
    for (const handle of handles) {
      const instance: Instance = {
        service: service.name,
        index: handle.index,
        handle,
        spec: service,
        standby,
        state: 'starting',
        ready: false,
        restarts: 0,
        startedAt: Date.now(),
        crashes: new CrashCounter(this.options.backoff),
      };
      instance.crashes.started();
      this.instances.set(instanceId(instance), instance);
      added.push(instance);
      this.events.record('started', `${instanceId(instance)} started on ${handle.host}:${handle.port}${handle.pid ? ` (pid ${handle.pid})` : ''}${handle.containerId ? ` (container ${handle.containerId.slice(0, 12)})` : ''}`, { service: service.name, instance: instanceId(instance) });
      this.watch(instance, service);
    }
    this.emit('changed');
    return added;
  }

  private watch(instance: Instance, service: ServiceSpec): void {
    const id = instanceId(instance);
    instance.health = new InstanceHealth(service, instance.handle, this.runtime, {
      onReadiness: (ready, detail) => {
        if (this.instances.get(id) !== instance || instance.state === 'stopping') return;
        const firstTime = ready && instance.state === 'starting';
        instance.ready = ready;
        if (ready) instance.state = 'running';
        this.setInPool(instance, ready);
        this.events.record(ready ? 'ready' : 'not-ready', `${id} ${ready ? 'is ready' : 'is not ready'}: ${detail}`, { service: service.name, instance: id });
        this.emit('changed');
        if (firstTime) void this.checkExposure(instance, service);
      },
      onInconclusive: (detail) => this.logs.write('platform', `${id}: ${detail}`),
      onUnhealthy: (detail) => {
        if (this.instances.get(id) !== instance) return;
        this.events.record('unhealthy', `${id} is unhealthy: ${detail}; restarting it`, { service: service.name, instance: id });
        // Killing it turns an unhealthy instance into a crashed one, which takes the usual restart-with-backoff path.
        void this.runtime.kill(instance.handle).catch(() => undefined);
      },
    });
    instance.health.start();
  }

  /** An instance that listens beyond loopback is reachable from the network past the router: say so, with the fix. */
  private async checkExposure(instance: Instance, service: ServiceSpec): Promise<void> {
    const exposed = await this.runtime.exposedAddresses?.(instance.handle).catch(() => []);
    if (!exposed?.length || this.instances.get(instanceId(instance)) !== instance) return;
    this.events.record('exposed', `${instanceId(instance)} listens on ${exposed.join(', ')}: reachable from other machines, past the router. ` +
      `Listen on the address the platform gives in HOST (127.0.0.1), e.g. app.listen(PORT, process.env.HOST)`, { service: service.name, instance: instanceId(instance) });
  }

  private setInPool(instance: Instance, inPool: boolean): void {
    const route = instance.spec.tall.route;
    if (!route) return;
    this.router.setMember(route, { id: instanceId(instance), host: instance.handle.host, port: instance.handle.port }, inPool && !instance.standby);
  }

  private onExit(handle: InstanceHandle, info: ExitInfo): void {
    const id = instanceId(handle);
    const instance = this.instances.get(id);
    if (!instance || instance.state === 'stopping' || this.phase === 'stopping') return;
    const service = instance.spec;
    instance.health?.stop();
    instance.ready = false;
    // Exit code 0 without a signal is a clean exit (say, after a SIGTERM it handled), not a crash.
    const clean = info.code === 0 && !info.signal && !info.reason;
    instance.state = clean ? 'exited' : 'crashed';
    instance.lastExit = { code: info.code, signal: info.signal, reason: info.reason, at: new Date().toISOString() };
    this.setInPool(instance, false);
    const how = describeExit(info, service);
    this.events.record(clean ? 'exited' : 'crashed', `${id} ${how}`, { service: service.name, instance: id });
    if (this.phase === 'starting') {
      this.failure ??= { service: service.name, instance: id, reason: `${id} ${how} while starting`, logTail: this.logs.tail(id) };
      this.emit('changed');
      return;
    }
    const policy = service.restartPolicy?.condition ?? service.restart;
    if (!shouldRestart(service, info.code, instance.restarts)) {
      this.events.record('stopped', `${id} stays down (restart policy "${policy}")`, { service: service.name, instance: id });
      this.emit('changed');
      return;
    }
    const delay = instance.crashes.crashed();
    instance.state = 'backoff';
    const why = clean ? `restart policy "${policy}"` : `crash ${instance.crashes.count} in a row; backoff`;
    this.events.record('restarting', `${id} restarting ${delay === 0 ? 'now' : `in ${(delay / 1000).toFixed(1)} s`} (${why})`, { service: service.name, instance: id });
    this.emit('changed');
    instance.restartTimer = setTimeout(() => void this.restart(instance), delay);
  }

  private async restart(instance: Instance): Promise<void> {
    const service = instance.spec;
    const id = instanceId(instance);
    if (this.instances.get(id) !== instance || this.phase === 'stopping') return;
    try {
      instance.handle = await this.runtime.restart(service, instance.handle);
    } catch (error) {
      this.events.record('crashed', `${id} could not be restarted: ${(error as Error).message}`, { service: service.name, instance: id });
      return this.onExit(instance.handle, { code: null, signal: null });
    }
    instance.restarts += 1;
    instance.state = 'starting';
    instance.startedAt = Date.now();
    instance.crashes.started();
    this.events.record('restarted', `${id} restarted on ${instance.handle.host}:${instance.handle.port} (restart #${instance.restarts})`, { service: service.name, instance: id });
    this.watch(instance, service);
    this.emit('changed');
  }

  private async drainAndStop(instance: Instance): Promise<void> {
    const service = instance.spec;
    const id = instanceId(instance);
    instance.state = 'stopping';
    instance.ready = false;
    instance.health?.stop();
    clearTimeout(instance.restartTimer);
    this.setInPool(instance, false);
    this.events.record('stopping', `${id} left the router's pool; draining in-flight requests`, { service: service.name, instance: id });
    this.emit('changed');
    const left = service.tall.route ? await drain(this.router, service.tall.route, id, service.stopGracePeriodMs) : 0;
    this.events.record('drained', left === 0 ? `${id} drained` : `${id} still had ${left} requests in flight after ${service.stopGracePeriodMs} ms`, { service: service.name, instance: id });
    await this.runtime.stop(instance.handle, service.stopGracePeriodMs);
    this.instances.delete(id);
    this.events.record('stopped', `${id} stopped`, { service: service.name, instance: id });
  }

  private instancesOf(service: string): Instance[] {
    return [...this.instances.values()].filter((instance) => instance.service === service);
  }

  private readyCount(service: string): number {
    return this.instancesOf(service).filter((instance) => instance.ready && !instance.standby).length;
  }

  private requireService(name: string): ServiceSpec {
    const service = this.specs.get(name);
    if (!service) throw new UserError(`no service "${name}". Services: ${this.serviceNames().join(', ')}`);
    return service;
  }

  private describeTimeout(): StartupFailure {
    const waiting = [...this.instances.values()].filter((instance) => !instance.ready);
    const first = waiting[0];
    return {
      service: first?.service ?? 'platform',
      instance: first ? instanceId(first) : undefined,
      reason: `not ready in time: ${waiting.map((instance) => instanceId(instance)).join(', ') || 'nothing started'}`,
      logTail: first ? this.logs.tail(instanceId(first)) : [],
    };
  }

  /** Waits for `done`, giving up at the deadline or as soon as an instance has crashed while starting. */
  private async waitUntil(done: () => boolean, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      if (this.failure) throw new Error(this.failure.reason);
      if (done()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new StartTimeout('timed out waiting for services to be ready');
  }
}

class StartTimeout extends Error {}

/** "exited with code 0", "killed by SIGKILL", "OOMKilled: it used more than its memory limit (512 MiB)". */
function describeExit(info: ExitInfo, service: ServiceSpec): string {
  if (info.reason === 'OOMKilled') return `OOMKilled: it used more than its memory limit (${describeBytes(service.limits.memoryBytes)}; deploy.resources.limits.memory)`;
  if (info.reason === 'PidsLimit') return `killed: it ran more than ${service.limits.pids} processes (deploy.resources.limits.pids)`;
  return info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
}
