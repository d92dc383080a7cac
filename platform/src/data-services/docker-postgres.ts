import { EventEmitter } from 'node:events';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import * as compose from 'docker-compose';
import YAML from 'yaml';
import { chooseBaseImage, postgresBaseImage } from '../runtimes/docker/base-image.js';
import { ContainerLogs } from '../runtimes/docker/container-logs.js';
import { docker, inspectContainers, isGone, loopbackPort, runDockerRaw } from '../runtimes/docker/docker-cli.js';
import { ContainerEvents, type ContainerDied } from '../runtimes/docker/docker-events.js';
import { dockerImages } from '../runtimes/docker/docker-images.js';
import { composeError } from '../runtimes/docker/compose-project.js';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';
import type { Credentials } from './credentials.js';
import { archiveDatabase, runTool, said } from './pg-tools.js';
import { RESTORE_OPTIONS } from './process-postgres.js';
import type { DataProvider, ServerHandle, StartRequest } from './provider.js';

const CONTAINER_PORT = 5432;
const SIGNAL_NAMES = new Map<number, string>(Object.entries(osConstants.signals).map(([name, number]) => [number, name]));
/** Compose service names of data services: apart from any the compose file may have. */
const PREFIX = 'tall-data-';

/**
 * The docker runtime's PostgreSQL: one container per instance, in the environment's own Compose project, with its data
 * in a named volume (<project>-data-<name>, so each environment has its own) that outlives the container.
 *
 * How bound apps reach it: the container joins the project's default network, where Compose makes its service name a
 * DNS name, so an app container connects to tall-data-<name>:5432 — traffic that never leaves the project's network,
 * works the same on a Linux engine and Docker Desktop, and is stable across restarts of the database container (a new
 * IP address, a new published port). The published port (127.0.0.1 only, ephemeral) is for the platform and people on
 * the host. The other way — the published port through host.docker.internal — would need the port published beyond
 * loopback on Linux (host.docker.internal is the bridge address there), which the platform never does.
 *
 * Each instance has a compose file of its own (data-services/<name>/compose.yaml) used with the same project name; the
 * password reaches Compose as a variable of its process, never written into that file. `tall down` (compose down with
 * --remove-orphans) removes the container with the apps'; the named volume stays.
 */
export class DockerPostgres extends EventEmitter implements DataProvider {
  readonly kind = 'docker' as const;
  private readonly logs = new ContainerLogs((source, line) => this.emit('log', source, line));
  private readonly events: ContainerEvents;
  private readonly containers = new Map<string, { id: string; stopping: boolean; handle: ServerHandle }>();
  private image?: Promise<string>;

  constructor(private readonly options: { projectName: string; dataDir: string }) {
    super();
    this.events = new ContainerEvents(options.projectName);
    this.events.on('die', (died: ContainerDied) => this.onDie(died));
  }

  storage(name: string): string {
    return `docker volume ${this.volume(name)}`;
  }

  async hasStorage(name: string): Promise<boolean> {
    return (await runDockerRaw(['volume', 'inspect', this.volume(name)], { timeoutMs: 10_000 })).code === 0;
  }

  private starting: Promise<unknown> = Promise.resolve();

  async start(request: StartRequest): Promise<ServerHandle> {
    const { record, credentials, plan } = request;
    const image = await this.postgresImage(request.progress);
    const file = this.writeComposeFile(record.name, image, credentials, plan.settings, plan.memoryBytes);
    this.events.start();
    try {
      // One `compose up` at a time in this project: two at once (two instances started together) may each create the
      // project's network, and Docker then keeps two networks of one name and refuses every later start ("network … is
      // ambiguous").
      const up = this.starting.then(() => compose.upOne(this.serviceName(record.name), { ...this.composeOptions(file, credentials), commandOptions: ['--no-deps'] }));
      this.starting = up.catch(() => undefined);
      await up;
    } catch (failure) {
      throw composeError(`${record.name}: its PostgreSQL container would not start`, failure);
    }
    const [id] = (await docker(['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${this.options.projectName}`, '--filter', `label=com.docker.compose.service=${this.serviceName(record.name)}`])).split('\n').filter(Boolean);
    if (!id) throw new Error(`${record.name}: Compose started no container`);
    let [info] = await inspectContainers([id]);
    // Right after a container died, Compose may still see it running and leave it be: start it ourselves then.
    if (!info?.State.Running) {
      await docker(['start', id]);
      [info] = await inspectContainers([id]);
    }
    if (!info?.State.Running || loopbackPort(info, CONTAINER_PORT) === 0) throw new Error(`${record.name}: its container is not running (${info?.State.Status ?? 'gone'}, exit code ${info?.State.ExitCode})`);
    const handle: ServerHandle = {
      containerId: id,
      host: { host: '127.0.0.1', port: loopbackPort(info!, CONTAINER_PORT) },
      app: { host: this.serviceName(record.name), port: CONTAINER_PORT },
    };
    this.containers.set(record.name, { id, stopping: false, handle });
    this.logs.follow(id, record.name, info?.State.StartedAt);
    return handle;
  }

  async stop(name: string): Promise<void> {
    const container = this.containers.get(name);
    if (!container) return;
    container.stopping = true;
    await docker(['stop', '-t', '15', container.id], { timeoutMs: 60_000 }).catch((error) => {
      if (!isGone(error)) throw error;
    });
    this.logs.unfollow(container.id);
    this.containers.delete(name);
  }

  async destroy(name: string): Promise<void> {
    const container = this.containers.get(name);
    if (container) container.stopping = true;
    const ids = (await docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.options.projectName}`, '--filter', `label=com.docker.compose.service=${this.serviceName(name)}`])).split('\n').filter(Boolean);
    if (ids.length > 0) await docker(['rm', '--force', ...ids]);
    this.containers.delete(name);
    await docker(['volume', 'rm', '--force', this.volume(name)]);
  }

  async dump(name: string, credentials: Credentials, file: string): Promise<void> {
    // pg_dump inside the container: the server's own version, over its unix socket.
    const run = await runTool(['docker', 'exec', this.require(name), 'pg_dump', '-U', credentials.username, '-d', credentials.database, '--format=custom', '--no-owner', '--no-acl'], { stdoutFile: file });
    if (run.code !== 0) throw new Error(`pg_dump failed: ${said(run)}`);
  }

  async listArchive(name: string, file: string): Promise<string> {
    const run = await runTool(['docker', 'exec', '-i', this.require(name), 'pg_restore', '--list'], { stdinFile: file });
    if (run.code !== 0 || !archiveDatabase(run.stdout)) throw new Error(`not a PostgreSQL archive pg_restore can read (${said(run)})`);
    return run.stdout;
  }

  async restore(name: string, credentials: Credentials, file: string): Promise<void> {
    const run = await runTool(['docker', 'exec', '-i', this.require(name), 'pg_restore', '-U', credentials.username, '-d', credentials.database, ...RESTORE_OPTIONS], { stdinFile: file });
    if (run.code !== 0) throw new Error(`pg_restore failed, nothing was changed: ${said(run)}`);
  }

  async shutdown(): Promise<void> {
    this.events.stop();
    for (const container of this.containers.values()) container.stopping = true;
    // Usually gone already: the runtime's `compose down --remove-orphans` removes them with the apps.
    const ids = [...this.containers.values()].map((container) => container.id);
    if (ids.length > 0) await docker(['rm', '--force', ...ids]).catch(() => undefined);
    this.logs.stopAll();
    this.containers.clear();
  }

  private onDie(died: ContainerDied): void {
    const entry = [...this.containers.entries()].find(([, container]) => container.id === died.id);
    if (!entry || entry[1].stopping) return;
    const [name] = entry;
    this.containers.delete(name);
    const signal = died.exitCode !== null && died.exitCode > 128 ? SIGNAL_NAMES.get(died.exitCode - 128) : undefined;
    void this.logs.settled(died.id).then(() => this.emit('exit', name, `${signal ? `killed by ${signal}` : `exited with code ${died.exitCode}`} (its container)`));
  }

  private require(name: string): string {
    const container = this.containers.get(name);
    if (!container) throw new Error(`${name}: its database container is not running`);
    return container.id;
  }

  private serviceName(name: string): string {
    return `${PREFIX}${name}`;
  }

  private volume(name: string): string {
    return `${this.options.projectName}-data-${name}`;
  }

  private postgresImage(progress: (line: string) => void): Promise<string> {
    this.image ??= (async () => {
      const rule = postgresBaseImage();
      const said = (line: string) => progress(line.replace(/^base image/, 'postgres image'));
      const choice = await chooseBaseImage(rule, dockerImages(), process.env[rule.variable] || undefined, said);
      progress(choice.line.replace(/^base image/, 'postgres image'));
      return choice.image;
    })().catch((error: unknown) => {
      this.image = undefined;
      throw error;
    });
    return this.image;
  }

  private writeComposeFile(name: string, image: string, credentials: Credentials, settings: Record<string, string | number>, memoryBytes: number): string {
    const folder = ensurePrivateDir(join(this.options.dataDir, name));
    const file = join(folder, 'compose.yaml');
    const no = new YAML.Scalar('no');
    no.type = 'QUOTE_DOUBLE';
    const document = {
      services: {
        [this.serviceName(name)]: {
          image,
          command: ['postgres', ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])],
          environment: { POSTGRES_USER: credentials.username, POSTGRES_DB: credentials.database, POSTGRES_PASSWORD: '${TALL_DATA_PASSWORD:?the platform sets it}' },
          volumes: [`data:/var/lib/postgresql/data`],
          ports: [`127.0.0.1::${CONTAINER_PORT}`],
          mem_limit: memoryBytes,
          // The broker's resurrector restarts it (and says so in `tall events`), not Docker.
          restart: no,
          labels: { 'tall.data-service': name },
        },
      },
      volumes: { data: { name: this.volume(name) } },
    };
    writePrivateFile(file, `# Generated by the Tall Enough platform for data service "${name}"; edits are overwritten.\n${new YAML.Document(document).toString({ lineWidth: 0 })}`);
    return file;
  }

  private composeOptions(file: string, credentials: Credentials): compose.IDockerComposeOptions {
    return {
      cwd: this.options.dataDir,
      config: file,
      composeOptions: [['-p', this.options.projectName], ['--ansi', 'never']],
      env: { ...process.env, TALL_DATA_PASSWORD: credentials.password },
    };
  }
}
