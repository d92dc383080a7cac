import { join } from 'node:path';
import type { ProjectSpec } from '../compose/model.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { UserError } from '../control-plane/user-error.js';
import type { Environment } from '../environments/environment.js';
import type { EventLog } from '../monitoring/event-log.js';
import type { LogStore } from '../monitoring/log-store.js';
import type { RuntimeKind } from '../runtimes/runtime.js';
import { Backups } from './backups.js';
import { bindingEnvironment } from './bindings.js';
import { BrokerStore } from './broker-store.js';
import { ServiceBroker, type InstanceView } from './broker.js';
import type { Redactor } from './credentials.js';
import { DockerPostgres } from './docker-postgres.js';
import { ProcessPostgres } from './process-postgres.js';
import type { DataProvider } from './provider.js';
import { Resurrector } from './resurrector.js';

export interface BindOutcome {
  instance: InstanceView;
  app: string;
  /** false: it was bound already, nothing changed */
  changed: boolean;
  /** the instances that replaced the app's old ones, one at a time */
  restarted: string[];
}

/**
 * Data services in the control plane — the Cloud Controller's side of the broker: provisions what the compose file
 * declares (top-level x-tall.services) and binds what its services ask for (x-tall.bind) before they start; starts every
 * instance's server on `tall up`; turns bindings into the environment of the bound service (DATABASE_URL, VCAP_SERVICES)
 * and restarts it, one instance at a time, whenever its bindings (or where a bound database answers) change.
 */
export class DataServices {
  readonly broker: ServiceBroker;
  private readonly resurrector: Resurrector;
  private plane?: ControlPlane;

  constructor(env: Environment, runtime: RuntimeKind, private readonly project: ProjectSpec, private readonly events: EventLog, logs: LogStore, redactor: Redactor) {
    const store = new BrokerStore(env.stateDir);
    const provider: DataProvider = runtime === 'docker'
      ? new DockerPostgres({ projectName: env.projectName, dataDir: store.dir })
      : new ProcessPostgres(store.dir);
    provider.on('log', (source: string, line: string) => logs.write(source, line));
    this.broker = new ServiceBroker(store, provider, new Backups(join(env.stateDir, 'backups')), events, redactor, () => this.apps());
    this.resurrector = new Resurrector(this.broker, events);
    this.broker.on('endpoint-changed', (name: string) => void this.rebindAll(name));
  }

  attach(plane: ControlPlane): void {
    this.plane = plane;
  }

  /**
   * Before the services start: provision what the file declares, start every instance's server, make the declared
   * bindings, and give each bound service its environment. Rejects naming a declared instance that did not start.
   */
  async prepare(progress: (line: string) => void): Promise<void> {
    const declared = this.project.dataServices ?? [];
    for (const wanted of declared) {
      const record = this.broker.store.get(wanted.name);
      if (!record) {
        progress(`data service ${wanted.name}: creating (${wanted.service}, plan ${wanted.plan})`);
        this.broker.provision({ ...wanted, declared: true }, progress);
      } else if (record.service !== wanted.service || record.plan !== wanted.plan) {
        progress(`data service ${wanted.name}: the compose file says ${wanted.service} plan ${wanted.plan}, but it was created as ${record.service} plan ${record.plan}; it keeps its plan (delete and create it again to change it)`);
      }
    }
    if (this.broker.store.instances().length > 0) progress(`data services: starting ${this.broker.store.instances().map((record) => record.name).join(', ')}`);
    await this.broker.startAll(progress);
    for (const wanted of declared) {
      const view = this.broker.view(wanted.name);
      if (view.server !== 'running') {
        throw new UserError(`data service ${wanted.name} did not start: ${view.lastOperation.state === 'failed' ? view.lastOperation.description : `its server is ${view.server}`}`, `see "npx tall logs ${wanted.name}" and "npx tall events ${wanted.name}"`);
      }
    }
    for (const service of this.project.services) {
      for (const instance of service.tall.bind ?? []) this.broker.bind(instance, service.name, true);
    }
    // A binding the file no longer declares goes with it (bindings made with `tall service bind` stay).
    for (const record of this.broker.store.instances()) {
      for (const binding of record.bindings.filter((candidate) => candidate.declared)) {
        const service = this.project.services.find((candidate) => candidate.name === binding.app);
        if (!service?.tall.bind?.includes(record.name)) this.broker.unbind(record.name, binding.app);
      }
    }
    for (const service of this.project.services) {
      const environment = bindingEnvironment(this.broker.boundTo(service.name));
      if (Object.keys(environment).length > 0) {
        service.bindingEnvironment = environment;
        progress(`${service.name}: bound to ${this.broker.boundTo(service.name).map((bound) => bound.record.name).join(', ')}`);
      }
    }
  }

  async bind(app: string, instance: string): Promise<BindOutcome> {
    const { created } = this.broker.bind(instance, app);
    const restarted = created ? await this.restartWithBindings(app) : [];
    return { instance: this.broker.view(instance), app, changed: created, restarted };
  }

  async unbind(app: string, instance: string): Promise<BindOutcome> {
    this.broker.unbind(instance, app);
    const restarted = await this.restartWithBindings(app);
    return { instance: this.broker.view(instance), app, changed: true, restarted };
  }

  /** The platform is stopping: no more resurrections; servers are stopped after the apps (shutdown()). */
  quiesce(): void {
    this.resurrector.stop();
    this.broker.quiesce();
  }

  async shutdown(): Promise<void> {
    this.quiesce();
    await this.broker.shutdown();
  }

  private apps(): string[] {
    return this.plane?.serviceNames() ?? this.project.services.map((service) => service.name);
  }

  private async restartWithBindings(app: string): Promise<string[]> {
    if (!this.plane) throw new Error('the control plane is not ready yet');
    return this.plane.rebind(app, bindingEnvironment(this.broker.boundTo(app)));
  }

  /** A database now answers elsewhere (resurrected on another port): every service bound to it gets the new address. */
  private async rebindAll(instance: string): Promise<void> {
    for (const binding of this.broker.store.get(instance)?.bindings ?? []) {
      try {
        const restarted = await this.restartWithBindings(binding.app);
        this.events.record('replaced', `${binding.app}: restarted with ${instance}'s new address (${restarted.join(', ')})`, { service: binding.app });
      } catch (error) {
        this.events.record('failed', `${binding.app}: could not be restarted with ${instance}'s new address: ${(error as Error).message}`, { service: binding.app });
      }
    }
  }
}
