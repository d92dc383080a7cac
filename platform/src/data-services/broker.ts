import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { UserError } from '../control-plane/user-error.js';
import type { EventLog } from '../monitoring/event-log.js';
import type { RuntimeKind } from '../runtimes/runtime.js';
import { Backups, describeSize, sha256, type BackupInfo } from './backups.js';
import type { BoundInstance } from './bindings.js';
import type { BindingRecord, BrokerStore, InstanceRecord, LastOperation } from './broker-store.js';
import { CATALOG, findPlan, findService, INSTANCE_NAME, type CatalogService } from './catalog.js';
import { maskedUrl, newCredentials, type Credentials, type Endpoint, type Redactor } from './credentials.js';
import { installQueues, QueueWatcher, type QueueStats } from './message-queues.js';
import { archiveDatabase } from './pg-tools.js';
import type { DataProvider, ServerHandle } from './provider.js';

/** Whether an instance's server runs, as `tall services` shows it beside the last operation. */
export type ServerState = 'starting' | 'running' | 'down' | 'stopped';

/** An instance as people are shown it: no secret, the URL masked. */
export interface InstanceView {
  name: string;
  service: string;
  plan: string;
  planDescription: string;
  createdAt: string;
  declared: boolean;
  lastOperation: LastOperation;
  server: ServerState;
  runtime: RuntimeKind;
  /** postgres://shop_db:****@127.0.0.1:5433/shop_db: where the platform and people on this machine reach it */
  url?: string;
  /** the same as bound apps get it (on the docker runtime: a name on the project's network) */
  appUrl?: string;
  pid?: number;
  pidStartTime?: string;
  containerId?: string;
  storage: string;
  bindings: BindingRecord[];
  /** times the resurrector brought the server back */
  resurrections: number;
  /** a message broker's queues, as last read (a few seconds old at most while its server runs) */
  queues?: QueueStats[];
}

interface Live {
  handle?: ServerHandle;
  server: ServerState;
  resurrections: number;
  /** the operation in progress (create, delete, restore): one at a time per instance */
  operation?: Promise<unknown>;
}

/** How long a server may take to accept connections (a first start initialises its data; machines are busy). */
const READY_TIMEOUT_MS = 180_000;

/**
 * The service broker, with Open Service Broker semantics: a catalog; provisioning that is asynchronous (it returns at
 * once, "in progress", and the last operation says how it ended: succeeded or failed, with a description); bindings
 * that hand out credentials; unbinding; deprovisioning, refused while bindings remain. It remembers everything in
 * .tall/<env>/data-services/ (BrokerStore), so instances and bindings outlive `tall down`. Starting an app with its
 * bindings (the Cloud Controller's part) is data-services.ts's; running servers is the provider's.
 *
 * Events: 'endpoint-changed' (name) where bound apps reach an instance changed (a resurrected server on another port);
 * 'changed' whenever a view changed.
 */
export class ServiceBroker extends EventEmitter {
  private readonly live = new Map<string, Live>();
  private quiesced = false;
  private readonly queueWatcher = new QueueWatcher(() => this.store.instances().flatMap((record) => {
    const connection = findService(record.service)?.queues ? this.connection(record.name) : undefined;
    return connection ? [{ name: record.name, ...connection }] : [];
  }));

  constructor(
    readonly store: BrokerStore,
    readonly provider: DataProvider,
    readonly backups: Backups,
    private readonly events: EventLog,
    private readonly redactor: Redactor,
    /** the compose file's services: what can be bound */
    private readonly apps: () => string[],
  ) {
    super();
    for (const record of store.instances()) {
      const credentials = store.credentials(record.name);
      if (credentials) redactor.add(credentials.password);
    }
    this.queueWatcher.start();
  }

  catalog(): CatalogService[] {
    return CATALOG;
  }

  instances(): InstanceView[] {
    return this.store.instances().map((record) => this.viewOf(record));
  }

  view(name: string): InstanceView {
    return this.viewOf(this.require(name));
  }

  /** OSB provision with accepts_incomplete: checks the request, records the instance "in progress" and returns. */
  provision(request: { name: string; service: string; plan?: string; declared?: boolean }, progress: (line: string) => void = () => undefined): InstanceView {
    const { name } = request;
    if (!INSTANCE_NAME.test(name)) throw new UserError(`"${name}" is not a valid instance name`, 'use lowercase letters, digits and "-", starting with a letter, e.g. shop-db');
    const taken = this.store.get(name);
    if (taken) throw new UserError(`a service instance named "${name}" exists already (${taken.service}, plan ${taken.plan})`, `choose another name, or delete it first: npx tall service delete ${name}`);
    if (this.apps().includes(name)) throw new UserError(`"${name}" is the name of a service of the compose file`, `give the instance another name, e.g. ${name}-db`);
    const offered = findService(request.service);
    if (!offered) throw new UserError(`the marketplace has no service "${request.service}"`, `services: ${CATALOG.map((service) => service.name).join(', ')} (npx tall marketplace)`);
    const plan = request.plan ?? offered.defaultPlan;
    if (!findPlan(offered.name, plan)) throw new UserError(`${offered.name} has no plan "${plan}"`, `plans: ${offered.plans.map((candidate) => candidate.name).join(', ')} (npx tall marketplace)`);

    const credentials = newCredentials(name);
    this.redactor.add(credentials.password);
    const record: InstanceRecord = {
      name, service: offered.name, plan, createdAt: new Date().toISOString(), declared: Boolean(request.declared),
      lastOperation: operation('create', 'in progress', 'creating its database server'), bindings: [],
    };
    this.store.add(record, credentials);
    this.events.record('provisioning', `${name}: creating a ${offered.name} instance, plan ${plan}`, { service: name });
    this.runOperation(name, async () => {
      // A new instance starts empty. Storage of that name already there was left by an earlier instance whose record
      // and credentials are gone (a deleted state folder; a check's slot used again): its users have other passwords, so
      // the new credentials would never log in to it.
      if (await this.provider.hasStorage(name)) {
        await this.provider.destroy(name);
        this.events.record('provisioning', `${name}: removed the storage an earlier instance of that name left (${this.provider.storage(name)}); its credentials were gone, so it could not be used`, { service: name });
      }
      const handle = await this.launch(record, progress);
      record.lastOperation = operation('create', 'succeeded', `created; ${maskedUrl(credentials, handle.host)}`);
      this.events.record('provisioned', `${name}: ${offered.name} (plan ${plan}) ready at ${maskedUrl(credentials, handle.host)}`, { service: name });
    }, 'create');
    return this.viewOf(record);
  }

  /** OSB last_operation. */
  lastOperation(name: string): LastOperation {
    return this.require(name).lastOperation;
  }

  /** Waits until no operation is in progress on the instance (or the time is up), then says how it stands. */
  async settled(name: string, timeoutMs = READY_TIMEOUT_MS): Promise<InstanceView> {
    const operation = this.live.get(name)?.operation;
    if (operation) await Promise.race([operation.catch(() => undefined), new Promise((done) => setTimeout(done, timeoutMs).unref())]);
    return this.view(name);
  }

  /** OSB bind: records the binding (idempotent, as OSB's 200 for an identical one). Starting the app with it is the caller's. */
  bind(instance: string, app: string, declared = false): { binding: BindingRecord; created: boolean } {
    const record = this.require(instance);
    if (!this.apps().includes(app)) throw new UserError(`no service "${app}" to bind ${instance} to`, `services: ${this.apps().join(', ') || 'none'}`);
    const existing = record.bindings.find((binding) => binding.app === app);
    if (existing) {
      if (declared && !existing.declared) {
        existing.declared = true;
        this.store.save();
      }
      return { binding: existing, created: false };
    }
    this.requireUsable(record, 'bound');
    const binding: BindingRecord = { app, createdAt: new Date().toISOString(), declared };
    record.bindings.push(binding);
    this.store.save();
    this.events.record('bound', `${instance} bound to ${app}${declared ? ' (x-tall.bind in the compose file)' : ''}`, { service: instance });
    this.emit('changed');
    return { binding, created: true };
  }

  /** OSB unbind. */
  unbind(instance: string, app: string): BindingRecord {
    const record = this.require(instance);
    const binding = record.bindings.find((candidate) => candidate.app === app);
    if (!binding) {
      const bound = record.bindings.map((candidate) => candidate.app);
      throw new UserError(`${instance} is not bound to ${app}`, bound.length ? `it is bound to: ${bound.join(', ')}` : `${instance} has no bindings`);
    }
    record.bindings = record.bindings.filter((candidate) => candidate !== binding);
    this.store.save();
    this.events.record('unbound', `${instance} unbound from ${app}`, { service: instance });
    this.emit('changed');
    return binding;
  }

  /** OSB deprovision: refused while bound (naming the bindings); stops the server and deletes its data. */
  async deprovision(name: string): Promise<void> {
    const record = this.require(name);
    if (record.bindings.length > 0) {
      const apps = record.bindings.map((binding) => binding.app);
      throw new UserError(
        `${name} is still bound to ${apps.join(', ')}: deleting it would leave ${apps.length === 1 ? 'that service' : 'those services'} without its database`,
        `unbind first: ${apps.map((app) => `npx tall service unbind ${app} ${name}`).join('; ')}${record.declared ? `, and remove it from the compose file's x-tall` : ''}`,
      );
    }
    await this.waitForOperation(name);
    record.lastOperation = operation('delete', 'in progress', 'stopping its server and deleting its data');
    this.store.save();
    this.emit('changed');
    try {
      this.live.get(name)!.server = 'stopped';
      await this.provider.destroy(name);
    } catch (error) {
      record.lastOperation = operation('delete', 'failed', (error as Error).message);
      this.store.save();
      throw error;
    }
    this.store.remove(name);
    this.live.delete(name);
    this.events.record('deprovisioned', `${name}: deleted (server and data); its backups stay in .tall/…/backups/${name}/`, { service: name });
    this.emit('changed');
  }

  /** The instances bound to `app`, with what it needs to reach each (for its environment). */
  boundTo(app: string): BoundInstance[] {
    return this.store.instances().flatMap((record) => {
      const binding = record.bindings.find((candidate) => candidate.app === app);
      const handle = this.live.get(record.name)?.handle;
      const credentials = this.store.credentials(record.name);
      return binding && handle && credentials ? [{ record, credentials, endpoint: handle.app, boundAt: binding.createdAt }] : [];
    });
  }

  /**
   * `tall up`: starts the server of every instance the broker knows (a creation a dead control plane left "in progress",
   * or one that failed, is tried again). Resolves when each has started or failed; failures are in their last operation.
   */
  async startAll(progress: (line: string) => void): Promise<void> {
    await Promise.all(this.store.instances().map(async (record) => {
      const live = this.live.get(record.name);
      // Being created right now (provisioned by this same `up`): that operation starts it.
      if (live?.operation) return live.operation.catch(() => undefined);
      if (live?.server === 'running') return;
      const credentials = this.store.credentials(record.name)!;
      const creating = record.lastOperation.type === 'create' && record.lastOperation.state !== 'succeeded';
      if (creating) record.lastOperation = operation('create', 'in progress', 'creating its database server');
      this.runOperation(record.name, async () => {
        const handle = await this.launch(record, progress);
        if (creating) {
          record.lastOperation = operation('create', 'succeeded', `created; ${maskedUrl(credentials, handle.host)}`);
          this.events.record('provisioned', `${record.name}: ready at ${maskedUrl(credentials, handle.host)}`, { service: record.name });
        }
      }, 'start');
      await this.live.get(record.name)?.operation?.catch(() => undefined);
    }));
  }

  /**
   * An operator stops an instance's server on purpose (`tall service stop`), its data kept: it stays down — the
   * resurrector brings back only servers that end by themselves — until `tall service start` (or the next `tall up`).
   * For outage drills: what do the bound apps do while their database is gone?
   */
  async stopServer(name: string): Promise<InstanceView> {
    const record = this.require(name);
    this.requireRunning(record, 'stopped');
    await this.waitForOperation(name);
    const live = this.liveOf(name);
    live.server = 'stopped';
    live.handle = undefined;
    this.emit('changed');
    await this.provider.stop(name, { holdPort: true });
    this.events.record('stopped', `${name}: its database server was stopped by an operator (tall service stop); it stays down, its data kept, until "tall service start ${name}"`, { service: name });
    return this.viewOf(record);
  }

  /** Starts again a server an operator stopped (`tall service start`); resolves once it accepts connections. */
  async startServer(name: string): Promise<InstanceView> {
    const record = this.require(name);
    this.requireUsable(record, 'started');
    await this.waitForOperation(name);
    const live = this.liveOf(name);
    if (live.server === 'running') return this.viewOf(record);
    if (live.server !== 'stopped') throw new UserError(`${name} is ${live.server}, not stopped: the broker is bringing it back already`, `"npx tall events ${name}" says when it is back`);
    const before = this.lastAppEndpoint.get(name);
    const starting = this.launch(record, () => undefined);
    live.operation = starting;
    try {
      const handle = await starting;
      if (before && (before.host !== handle.app.host || before.port !== handle.app.port)) this.emit('endpoint-changed', name);
      this.events.record('started', `${name}: its database server was started again by an operator, at ${maskedUrl(this.store.credentials(name)!, handle.host)}, its data intact`, { service: name });
    } finally {
      if (live.operation === starting) live.operation = undefined;
    }
    return this.viewOf(record);
  }

  /** The resurrector's cue: the server ended by itself. */
  markDown(name: string): void {
    const live = this.live.get(name);
    if (!live) return;
    live.server = 'down';
    live.handle = undefined;
    this.emit('changed');
  }

  /** Starts a server that died again (the resurrector); says whether bound apps must be told its new address. */
  async resurrect(name: string): Promise<ServerHandle> {
    const live = this.liveOf(name);
    const before = this.lastAppEndpoint.get(name);
    const handle = await this.launch(this.require(name), () => undefined);
    live.resurrections += 1;
    if (before && (before.host !== handle.app.host || before.port !== handle.app.port)) this.emit('endpoint-changed', name);
    return handle;
  }

  isQuiesced(): boolean {
    return this.quiesced;
  }

  /** The platform is going down: a server that ends now is not brought back. */
  quiesce(): void {
    this.quiesced = true;
    this.queueWatcher.stop();
    for (const live of this.live.values()) if (live.server === 'running') live.server = 'stopped';
  }

  async shutdown(): Promise<void> {
    this.quiesce();
    await this.provider.shutdown();
    for (const record of this.store.instances()) {
      record.pid = undefined;
      record.pidStartTime = undefined;
    }
    this.store.save();
  }

  /** A consistent dump of a running instance, listed with its time and size. */
  async backup(name: string): Promise<BackupInfo> {
    const record = this.require(name);
    this.requireRunning(record, 'backed up');
    const credentials = this.store.credentials(name)!;
    const info = await this.backups.create(name, { database: credentials.database, runtime: this.provider.kind }, (file) => this.provider.dump(name, credentials, file));
    this.events.record('backed-up', `${name}: backup ${info.id} (${describeSize(info.sizeBytes)})`, { service: name });
    return info;
  }

  /**
   * Restores a backup (its id, "latest", or the path of a dump) into the instance. Refused, with the database untouched,
   * when the file is not whole (checksum), not a PostgreSQL archive, or a dump of another database; the restore itself
   * runs in one transaction, so one that fails half-way changes nothing either.
   */
  async restore(name: string, ref: string): Promise<BackupInfo | { id: string; file: string }> {
    const record = this.require(name);
    this.requireRunning(record, 'restored');
    const credentials = this.store.credentials(name)!;
    const listed = this.backups.find(name, ref);
    const file = listed?.file ?? resolve(ref);
    const untouched = `; ${name} is untouched`;
    if (!listed && !existsSync(file)) {
      const ids = this.backups.list(name).map((backup) => backup.id);
      throw new UserError(`no backup "${ref}" of ${name}, and no such file`, ids.length ? `backups of ${name}: ${ids.join(', ')}` : `${name} has no backups yet: npx tall service backup ${name}`);
    }
    if (listed && (await sha256(file)) !== listed.sha256) throw new UserError(`backup ${listed.id} has changed since it was made (its checksum differs): it is corrupt${untouched}`, 'restore another backup (npx tall service backups ' + name + ')');
    let toc: string;
    try {
      toc = await this.provider.listArchive(name, file);
    } catch (error) {
      throw new UserError(`${ref} is not a backup that can be restored: ${(error as Error).message}${untouched}`, `restore one of: npx tall service backups ${name}`);
    }
    const database = archiveDatabase(toc);
    if (database !== credentials.database) throw new UserError(`${ref} is a dump of database "${database}", not of ${name}'s ("${credentials.database}")${untouched}`, `restore a backup of ${name}: npx tall service backups ${name}`);
    await this.waitForOperation(name);
    const live = this.liveOf(name);
    const restoring = this.provider.restore(name, credentials, file);
    live.operation = restoring;
    try {
      await restoring;
    } catch (error) {
      throw new UserError(`restoring ${ref} failed and was rolled back: ${(error as Error).message.replace(/^pg_restore failed, nothing was changed: /, '')}${untouched}`);
    } finally {
      if (live.operation === restoring) live.operation = undefined;
    }
    this.events.record('restored', `${name}: restored ${listed?.id ?? file}`, { service: name });
    return listed ?? { id: file, file };
  }

  /** Where the platform reaches a running instance, with its credentials (for tests of the broker, never shown). */
  connection(name: string): { endpoint: Endpoint; credentials: Credentials } | undefined {
    const handle = this.live.get(name)?.handle;
    const credentials = this.store.credentials(name);
    return handle && credentials ? { endpoint: handle.host, credentials } : undefined;
  }

  private readonly lastAppEndpoint = new Map<string, Endpoint>();

  private async launch(record: InstanceRecord, progress: (line: string) => void): Promise<ServerHandle> {
    const live = this.liveOf(record.name);
    live.server = 'starting';
    this.emit('changed');
    const credentials = this.store.credentials(record.name);
    if (!credentials) throw new Error(`${record.name}: its credentials are missing from credentials.json; delete the instance and create it again`);
    const plan = findPlan(record.service, record.plan)!;
    if (record.runtime && record.runtime !== this.provider.kind && !(await this.provider.hasStorage(record.name))) {
      this.events.record('provisioning', `${record.name}: its data lives on the ${record.runtime} runtime; on the ${this.provider.kind} runtime it starts as a new, empty database (back up there and restore here to carry it over)`, { service: record.name });
    }
    try {
      const handle = await this.provider.start({
        record, credentials, plan, progress,
        notice: (type, message) => this.events.record(type, `${record.name}: ${message}`, { service: record.name }),
      });
      await acceptsConnections(handle.host, credentials, READY_TIMEOUT_MS);
      if (findService(record.service)?.queues) await installQueues(handle.host, credentials);
      if (this.quiesced) {
        await this.provider.stop(record.name).catch(() => undefined);
        throw new Error('the platform is stopping');
      }
      live.handle = handle;
      live.server = 'running';
      this.lastAppEndpoint.set(record.name, handle.app);
      record.runtime = this.provider.kind;
      if (this.provider.kind === 'process') record.port = handle.host.port;
      record.pid = handle.pid;
      record.pidStartTime = handle.pidStartTime;
      this.store.save();
      return handle;
    } catch (error) {
      live.server = 'down';
      throw error;
    } finally {
      this.emit('changed');
    }
  }

  private runOperation(name: string, work: () => Promise<void>, kind: 'create' | 'start'): void {
    const live = this.liveOf(name);
    const running = work().catch((error: unknown) => {
      const record = this.store.get(name);
      const message = (error as Error).message;
      if (record && kind === 'create') record.lastOperation = operation('create', 'failed', message);
      this.events.record('failed', `${name}: ${kind === 'create' ? 'creation' : 'start'} failed: ${message}`, { service: name });
    }).finally(() => {
      if (this.store.get(name)) this.store.save();
      if (live.operation === running) live.operation = undefined;
      this.emit('changed');
    });
    live.operation = running;
  }

  /** Waits for the operation in progress on an instance, and for any that began meanwhile (each is awaited once). */
  private async waitForOperation(name: string): Promise<void> {
    const seen = new Set<Promise<unknown>>();
    for (let operation = this.live.get(name)?.operation; operation && !seen.has(operation); operation = this.live.get(name)?.operation) {
      seen.add(operation);
      await operation.catch(() => undefined);
    }
  }

  private require(name: string): InstanceRecord {
    const record = this.store.get(name);
    if (!record) {
      const names = this.store.instances().map((instance) => instance.name);
      throw new UserError(`no service instance "${name}"`, names.length ? `instances: ${names.join(', ')} (npx tall services)` : 'there are none yet: npx tall service create postgres <name>');
    }
    return record;
  }

  private requireUsable(record: InstanceRecord, what: string): void {
    const { state, description } = record.lastOperation;
    if (state === 'in progress') throw new UserError(`${record.name} cannot be ${what} yet: ${record.lastOperation.type} in progress (${description})`, `wait until "npx tall services" says it succeeded`);
    if (state === 'failed') throw new UserError(`${record.name} cannot be ${what}: its ${record.lastOperation.type} failed (${description})`, `delete it and create it again: npx tall service delete ${record.name}`);
  }

  private requireRunning(record: InstanceRecord, what: string): void {
    this.requireUsable(record, what);
    const live = this.live.get(record.name);
    if (live?.server !== 'running' || !live.handle) {
      throw new UserError(`${record.name} is down: its database server is not running (${live?.server ?? 'not started'}), so it cannot be ${what}`, `wait for the broker to bring it back ("npx tall events ${record.name}" says when), then try again`);
    }
  }

  private liveOf(name: string): Live {
    let live = this.live.get(name);
    if (!live) {
      live = { server: 'stopped', resurrections: 0 };
      this.live.set(name, live);
    }
    return live;
  }

  private viewOf(record: InstanceRecord): InstanceView {
    const live = this.live.get(record.name);
    const credentials = this.store.credentials(record.name);
    const handle = live?.handle;
    return {
      name: record.name,
      service: record.service,
      plan: record.plan,
      planDescription: findPlan(record.service, record.plan)?.description ?? '',
      createdAt: record.createdAt,
      declared: record.declared,
      lastOperation: record.lastOperation,
      server: live?.server ?? 'stopped',
      runtime: this.provider.kind,
      url: handle && credentials ? maskedUrl(credentials, handle.host) : undefined,
      appUrl: handle && credentials ? maskedUrl(credentials, handle.app) : undefined,
      pid: handle?.pid,
      pidStartTime: handle?.pidStartTime,
      containerId: handle?.containerId,
      storage: this.provider.storage(record.name),
      bindings: record.bindings,
      resurrections: live?.resurrections ?? 0,
      queues: this.queueWatcher.queues(record.name),
    };
  }
}

function operation(type: LastOperation['type'], state: LastOperation['state'], description: string): LastOperation {
  return { type, state, description, updatedAt: new Date().toISOString() };
}

/** Connects and runs SELECT 1 until it works: the server is up and the instance's database and user exist. */
async function acceptsConnections(endpoint: Endpoint, credentials: Credentials, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ host: endpoint.host, port: endpoint.port, user: credentials.username, password: credentials.password, database: credentials.database, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      last = error;
      await client.end().catch(() => undefined);
      await new Promise((done) => setTimeout(done, 250));
    }
  }
  throw new Error(`its server did not accept connections within ${timeoutMs / 1000} s (${(last as Error | undefined)?.message ?? 'no answer'})`);
}
