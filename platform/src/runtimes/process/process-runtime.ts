import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { ProjectSpec, ServiceSpec } from '../../compose/model.js';
import type { ExecResult, ExitInfo, InstanceHandle, Runtime } from '../runtime.js';
import { chooseLimiter } from './limits/choose-limiter.js';
import { nodeHeapOption, type InstanceLimiter } from './limits/limiter.js';
import { unclaimedPort } from '../../util/ports.js';
import { forEachLine } from './line-splitter.js';
import { healthcheckArgv, runWithTimeout } from '../healthcheck-command.js';
import { processStartTime, signalChildGroup } from '../../util/process-identity.js';
import { Reaper } from '../reaper.js';
import { isLoopback, listeningAddresses } from './listening-addresses.js';
import { sandboxed } from '../../containment/sandbox.js';
import type { Containment } from '../../containment/containment.js';

interface Supervised {
  handle: InstanceHandle;
  child: ChildProcess;
  env: Record<string, string>;
  cwd: string;
  stopping: boolean;
  exited: Promise<void>;
  /** its limits released (after its output closed): only then may a new instance with the same id get its own */
  released: Promise<void>;
}

/** Variables a process instance inherits from the host; everything else comes from the compose file, as in a container. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SystemRoot', 'NODE_EXTRA_CA_CERTS'];

/**
 * Each instance is a child process on its own loopback port, in its own process group (so a kill reaches its children too).
 * Like Cloud Foundry, the platform tells the instance where to listen (HOST, PORT) and who it is (INSTANCE_INDEX).
 */
export class ProcessRuntime extends EventEmitter implements Runtime {
  readonly kind = 'process' as const;
  private readonly instances = new Map<string, Supervised>();
  private readonly reaper = new Reaper();
  private readonly limiter: InstanceLimiter;

  constructor(private readonly options: { envName: string; containment?: Containment }) {
    super();
    this.limiter = chooseLimiter(`${options.envName}-${process.pid}`);
  }

  async prepare(project: ProjectSpec, progress: (line: string) => void): Promise<void> {
    for (const service of project.services) {
      if (!service.tall.process && !service.command) {
        throw new Error(`service "${service.name}" has no x-tall.process.command, so the process runtime cannot run it. Add one (e.g. ["node", "--import", "tsx", "src/index.ts"]) or use --runtime docker`);
      }
      if (!service.dir) throw new Error(`service "${service.name}" has no build context, so the process runtime has no folder to run it in; give it build.context or use --runtime docker`);
    }
    const contained = this.options.containment?.sandbox === 'bubblewrap' ? '; contained by bubblewrap (read-only filesystem, private /tmp, hidden folders)' : '';
    progress(`process runtime: ${project.services.length} services, each instance a local process; limits by ${this.limiter.mechanism}${contained}`);
  }

  async start(service: ServiceSpec, count: number): Promise<InstanceHandle[]> {
    const started: InstanceHandle[] = [];
    for (let n = 0; n < count; n++) {
      const index = this.lowestFreeIndex(service.name);
      const port = await unclaimedPort();
      started.push(this.spawnInstance(service, { service: service.name, index, host: '127.0.0.1', port }));
    }
    return started;
  }

  async restart(service: ServiceSpec, handle: InstanceHandle): Promise<InstanceHandle> {
    const previous = this.instances.get(key(handle));
    if (previous && previous.child.exitCode === null && previous.child.signalCode === null) await previous.exited;
    return this.spawnInstance(service, { ...handle, port: await unclaimedPort() });
  }

  async stop(handle: InstanceHandle, graceMs: number): Promise<void> {
    const instance = this.instances.get(key(handle));
    if (!instance) return;
    instance.stopping = true;
    signalChildGroup(instance.child, 'SIGTERM');
    const timer = setTimeout(() => signalChildGroup(instance.child, 'SIGKILL'), graceMs);
    await instance.exited;
    clearTimeout(timer);
    // A replacement with the same index (a deploy's stop-first) must not have its new cgroup removed by this release.
    await Promise.race([instance.released, new Promise((resolve) => setTimeout(resolve, 2000))]);
    this.instances.delete(key(handle));
  }

  async kill(handle: InstanceHandle): Promise<void> {
    const instance = this.instances.get(key(handle));
    if (!instance) throw new Error(`no instance ${key(handle)}`);
    signalChildGroup(instance.child, 'SIGKILL');
    await instance.exited;
  }

  async exec(handle: InstanceHandle, test: string[], timeoutMs: number): Promise<ExecResult> {
    const instance = this.instances.get(key(handle));
    if (!instance) return { exitCode: null, output: 'instance is not running', timedOut: false };
    // Beside the process, with its environment, so $PORT in the test is the instance's own port.
    return runWithTimeout(sandboxed(healthcheckArgv(test), this.options.containment), { env: instance.env, cwd: instance.cwd, timeoutMs });
  }

  async exposedAddresses(handle: InstanceHandle): Promise<string[]> {
    const pid = this.instances.get(key(handle))?.child.pid;
    return pid === undefined ? [] : listeningAddresses(pid).filter((address) => !isLoopback(address));
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.instances.values()].map((instance) => this.stop(instance.handle, 5000)));
    this.reaper.dismiss();
  }

  private spawnInstance(service: ServiceSpec, handle: InstanceHandle): InstanceHandle {
    const id = key(handle);
    const argv = this.limiter.launch(id, sandboxed(service.tall.process?.command ?? service.command!, this.options.containment), service.limits);
    const inherited = Object.fromEntries(INHERITED.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
    const env: Record<string, string> = {
      ...inherited,
      ...service.environment,
      // Data-service bindings (DATABASE_URL, VCAP_SERVICES), as Cloud Foundry injects them.
      ...(service.bindingEnvironment ?? {}),
      PORT: String(handle.port),
      // Where to listen: loopback only, so the instance is reachable through the router and never from the network.
      HOST: '127.0.0.1',
      INSTANCE_INDEX: String(handle.index),
      SERVICE_NAME: service.name,
      TALL_ENV: this.options.envName,
      // The service's own NODE_OPTIONS come last, so a heap size it sets itself wins.
      NODE_OPTIONS: [nodeHeapOption(service.limits), service.environment.NODE_OPTIONS].filter(Boolean).join(' '),
    };
    const cwd = service.dir!;
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.reaper.watch(child.pid);
    if (child.pid !== undefined) {
      this.limiter.started(id, child.pid, service.limits, (breach) => this.emit('log', 'runtime', `${id}: stopped by the ${this.limiter.mechanism.split(':')[0]} (${breach})`));
    }
    const source = `${service.name}/${handle.index}`;
    const started: InstanceHandle = { ...handle, pid: child.pid, pidStartTime: child.pid === undefined ? undefined : processStartTime(child.pid) };
    forEachLine(child.stdout, (line) => this.emit('log', source, line));
    forEachLine(child.stderr, (line) => this.emit('log', source, line));
    const exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.emit('log', source, `could not start ${argv.join(' ')}: ${error.message}`);
        if (child.pid === undefined) resolve();
      });
      child.once('exit', () => {
        this.reaper.unwatch(child.pid);
        resolve();
      });
    });
    let markReleased = () => {};
    const released = new Promise<void>((resolve) => (markReleased = resolve));
    const supervised: Supervised = { handle: started, child, env, cwd, stopping: false, exited, released };
    this.instances.set(key(handle), supervised);
    // 'close' waits for the output pipes too, so the last log lines are in before anyone hears of the exit.
    const reportExit = (code: number | null, signal: NodeJS.Signals | null) => {
      const reason = this.limiter.breach(id);
      this.limiter.release(id);
      markReleased();
      if (this.instances.get(id) !== supervised || supervised.stopping) return;
      this.emit('exit', started, { code, signal, reason } satisfies ExitInfo);
    };
    child.once('close', reportExit);
    child.once('error', () => child.pid === undefined && reportExit(127, null));
    return started;
  }

  private lowestFreeIndex(service: string): number {
    let index = 1;
    while (this.instances.has(`${service}/${index}`)) index++;
    return index;
  }
}

function key(handle: Pick<InstanceHandle, 'service' | 'index'>): string {
  return `${handle.service}/${handle.index}`;
}
