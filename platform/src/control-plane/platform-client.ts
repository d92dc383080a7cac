/**
 * The one way to talk to an environment's platform, for the `tall` verbs and the lab engine alike: start it (the
 * control plane runs in the background and outlives the caller), ask how it is, scale, kill, stop, and clean up after a
 * control plane that died.
 */
import { spawn } from 'node:child_process';
import type { Containment } from '../containment/containment.js';
import { closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestedRouterPort, resolveEnvironment, type Environment } from '../environments/environment.js';
import { driverFor } from '../runtimes/registry.js';
import type { RuntimeKind } from '../runtimes/runtime.js';
import { isSameProcess, waitUntilGone } from '../util/process-identity.js';
import { ensurePrivateDir, openPrivate } from '../util/private-files.js';
import { LogLimitError, logLimitsFrom } from '../monitoring/log-limits.js';
import { callApi } from './api-client.js';
import type { DaemonOptions } from './daemon.js';
import type { InstanceView } from './instance.js';
import { readState, removeState, type PlatformState } from './state-file.js';
import { UserError } from './user-error.js';
import type { Warning } from '../compose/model.js';
import type { InstanceView as DataInstanceView } from '../data-services/broker.js';
import type { LastOperation } from '../data-services/broker-store.js';
import type { BackupInfo } from '../data-services/backups.js';
import type { BindOutcome } from '../data-services/data-services.js';
import { CATALOG, type CatalogService } from '../data-services/catalog.js';
import type { ActiveChaos, ChaosRequest } from '../chaos/chaos-request.js';
import type { ChaosOutcome } from '../chaos/chaos-controller.js';
import type { DeployOutcome } from '../delivery/deployer.js';
import type { VersionRecord } from '../delivery/version-history.js';

/** Data-service calls may wait for a server to start or for a rolling restart of the bound service. */
const DATA_TIMEOUT_MS = 600_000;

/** A deploy builds, then replaces every instance batch by batch, watching each. */
const DELIVERY_TIMEOUT_MS = 1_800_000;

const DAEMON = fileURLToPath(new URL('./daemon.ts', import.meta.url));
// Resolved from the kit itself, not from the folder the system lives in (which may have no node_modules).
const TSX_LOADER = import.meta.resolve('tsx');
/** Settled by the client itself, so a value left in the caller's shell can't point the daemon elsewhere. */
const RESOLVED_HERE = ['TALL_ROOT', 'TALL_STATE_DIR', 'TALL_ENV', 'TALL_PORT', 'TALL_RUNTIME'];

export type PlatformStatus =
  | { kind: 'running'; state: PlatformState }
  | { kind: 'stopped' }
  /** the control plane is gone without having cleaned up: what it started may still run */
  | { kind: 'orphaned'; record: PlatformState; leftovers: string[] };

export interface StartRequest {
  runtime: RuntimeKind;
  /** router port; default: the environment's (8080 for default, TALL_PORT), else the next free one from 8081 */
  port?: number;
  /** another compose file than the environment's services/compose.yaml */
  composeFile?: string;
  /** how long every service may take to be ready */
  timeoutMs: number;
  /** variables for ${VAR} interpolation, as if set in the shell */
  variables?: Record<string, string>;
  onProgress?: (line: string) => void;
  onWarning?: (warning: Warning) => void;
  /** stops waiting and takes down what started */
  abortSignal?: AbortSignal;
  /** run the services as untrusted code (grading) */
  containment?: Containment;
}

export interface StartOutcome {
  state: PlatformState;
  /** what a previous control plane that died had left running, stopped before starting */
  cleanedUp: string[];
}

export interface StopOutcome {
  wasRunning: boolean;
  stoppedInstances: number;
  cleanedUp: string[];
}

export class PlatformClient {
  constructor(readonly env: Environment) {}

  /** The client of one environment; `stateRoot` puts its state elsewhere than <root>/.tall (throwaway platforms). */
  static of(envName: string, options: { root?: string; stateRoot?: string; composeFile?: string } = {}): PlatformClient {
    try {
      return new PlatformClient(resolveEnvironment(envName, options.root, options.composeFile, options.stateRoot));
    } catch (error) {
      throw new UserError((error as Error).message);
    }
  }

  /** The state of a control plane that runs now (its pid still the process that wrote it), else undefined. */
  running(): PlatformState | undefined {
    const state = readState(this.env.stateDir);
    return state && isSameProcess(state.pid, state.pidStartTime) ? state : undefined;
  }

  /** Like running(), but a missing platform is an error that says how to start it. */
  requireRunning(): PlatformState {
    const state = this.running();
    if (!state) throw new UserError(`the platform is not running${this.envSuffix(' for environment "', '"')}`, `start it with: npx tall up${this.envFlag()}`);
    return state;
  }

  async status(): Promise<PlatformStatus> {
    const running = this.running();
    if (running) return { kind: 'running', state: running };
    const record = readState(this.env.stateDir);
    if (!record) return { kind: 'stopped' };
    const leftovers = await (await driverFor(record.runtime)).leftovers(record);
    return leftovers.length > 0 ? { kind: 'orphaned', record, leftovers } : { kind: 'stopped' };
  }

  /** Starts the control plane in the background and waits until every service is ready, or the start failed. */
  async start(request: StartRequest): Promise<StartOutcome> {
    const running = this.running();
    if (running) {
      throw new UserError(
        `the platform is already running for environment "${this.env.name}" (${running.runtime} runtime, router ${running.routerUrl ?? 'starting'})`,
        `stop it first with "npx tall down${this.envFlag()}", or start another environment with --env <name>`,
      );
    }
    const cleanedUp = await this.cleanUpLeftovers();
    const driver = await driverFor(request.runtime);
    const available = await driver.availability();
    if (!available.ok) throw new UserError(`--runtime ${request.runtime}: ${available.problem}`, `${available.fix ?? 'see "npx tall doctor"'}, or use --runtime process (no Docker needed)`);

    try {
      logLimitsFrom(process.env);
    } catch (error) {
      if (error instanceof LogLimitError) throw new UserError(error.message, 'fix or unset it (README.md, "Logs", lists the settings) and run "npx tall up" again');
      throw error;
    }
    ensurePrivateDir(dirname(this.env.stateDir));
    ensurePrivateDir(this.env.stateDir);
    removeState(this.env.stateDir);
    const options: DaemonOptions = {
      env: this.env.name,
      root: this.env.root,
      stateDir: this.env.stateDir,
      composeFile: this.env.composeFile,
      runtime: request.runtime,
      port: requestedRouterPort(this.env, request.port),
      timeoutMs: request.timeoutMs,
      containment: request.containment,
    };
    const daemonEnv: NodeJS.ProcessEnv = { ...process.env, ...(request.variables ?? {}) };
    for (const name of RESOLVED_HERE) delete daemonEnv[name];
    const log = openPrivate(join(this.env.stateDir, 'control-plane.log'), 'a');
    const child = spawn(process.execPath, ['--import', TSX_LOADER, DAEMON, JSON.stringify(options)], {
      cwd: this.env.root,
      env: daemonEnv,
      detached: true,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    child.unref();
    const state = await this.waitForOutcome(child.pid!, request);
    if (state.phase !== 'running') removeState(this.env.stateDir);
    return { state, cleanedUp };
  }

  /** autoscaledHoldMs: the service is autoscaled, and this count stands that long before the autoscaler decides again */
  scale(service: string, replicas: number): Promise<{ from: number; to: number; ready: number; autoscaledHoldMs?: number }> {
    return callApi(this.requireRunning(), '/scale', { service, replicas });
  }

  /** Rolls the service to the compose file and code as they are now; resolves once it succeeded or was rolled back. */
  deploy(service: string, readyTimeoutMs?: number): Promise<DeployOutcome> {
    return callApi(this.requireRunning(), '/deploy', { service, readyTimeoutMs }, DELIVERY_TIMEOUT_MS);
  }

  rollback(service: string, readyTimeoutMs?: number): Promise<DeployOutcome> {
    return callApi(this.requireRunning(), '/rollback', { service, readyTimeoutMs }, DELIVERY_TIMEOUT_MS);
  }

  deployHistory(service: string): Promise<VersionRecord[]> {
    return callApi(this.requireRunning(), '/deploy-history', { service });
  }

  kill(service: string, index?: number): Promise<InstanceView> {
    return callApi(this.requireRunning(), '/kill', { service, index });
  }

  // --- chaos (run by the control plane, so a schedule outlives the caller) ------------------------------------------

  startChaos(request: ChaosRequest): Promise<ChaosOutcome> {
    return callApi(this.requireRunning(), '/chaos/start', request);
  }

  stopChaos(service?: string): Promise<{ stopped: ActiveChaos[] }> {
    return callApi(this.requireRunning(), '/chaos/stop', { service });
  }

  activeChaos(): Promise<ActiveChaos[]> {
    return callApi(this.requireRunning(), '/chaos/list');
  }

  // --- data services (the broker in the control plane) ----------------------------------------------------------

  /** The marketplace: asked of the running broker, or the kit's own catalog when the platform is not running. */
  async catalog(): Promise<CatalogService[]> {
    const state = this.running();
    return state ? callApi(state, '/data/catalog') : CATALOG;
  }

  dataInstances(): Promise<DataInstanceView[]> {
    return callApi(this.requireRunning(), '/data/instances');
  }

  /** Provisions an instance; returns at once ("in progress") unless `wait`, then once it succeeded or failed. */
  createDataService(service: string, name: string, options: { plan?: string; wait?: boolean } = {}): Promise<DataInstanceView> {
    return callApi(this.requireRunning(), '/data/create', { service, name, plan: options.plan, wait: options.wait }, DATA_TIMEOUT_MS);
  }

  lastOperation(name: string): Promise<{ name: string; lastOperation: LastOperation }> {
    return callApi(this.requireRunning(), '/data/last-operation', { name });
  }

  /** Binds and restarts the app's instances one at a time with the binding in their environment. */
  bindDataService(app: string, instance: string): Promise<BindOutcome> {
    return callApi(this.requireRunning(), '/data/bind', { app, instance }, DATA_TIMEOUT_MS);
  }

  unbindDataService(app: string, instance: string): Promise<BindOutcome> {
    return callApi(this.requireRunning(), '/data/unbind', { app, instance }, DATA_TIMEOUT_MS);
  }

  deleteDataService(name: string): Promise<{ name: string; deleted: boolean }> {
    return callApi(this.requireRunning(), '/data/delete', { name }, DATA_TIMEOUT_MS);
  }

  /** Stops an instance's server on purpose, its data kept: it stays down (no resurrection) until startDataService. */
  stopDataService(name: string): Promise<DataInstanceView> {
    return callApi(this.requireRunning(), '/data/stop', { name }, DATA_TIMEOUT_MS);
  }

  startDataService(name: string): Promise<DataInstanceView> {
    return callApi(this.requireRunning(), '/data/start', { name }, DATA_TIMEOUT_MS);
  }

  backupDataService(name: string): Promise<BackupInfo> {
    return callApi(this.requireRunning(), '/data/backup', { name }, DATA_TIMEOUT_MS);
  }

  dataBackups(name: string): Promise<BackupInfo[]> {
    return callApi(this.requireRunning(), '/data/backups', { name });
  }

  restoreDataService(name: string, backup: string): Promise<{ id: string; file: string }> {
    return callApi(this.requireRunning(), '/data/restore', { name, backup }, DATA_TIMEOUT_MS);
  }

  /** Stops the control plane and everything it started; then whatever a control plane that died left behind. */
  async stop(): Promise<StopOutcome> {
    const state = this.running();
    if (state) {
      await callApi(state, '/down', {}, 10_000).catch(() => signal(state.pid, 'SIGTERM'));
      await waitForExit(state, 60_000);
    }
    const cleanedUp = await this.cleanUpLeftovers();
    removeState(this.env.stateDir);
    return { wasRunning: Boolean(state), stoppedInstances: state?.instances.length ?? 0, cleanedUp };
  }

  /** What a control plane that died left running (from its last published state), stopped; says what it stopped. */
  async cleanUpLeftovers(): Promise<string[]> {
    const record = readState(this.env.stateDir);
    if (!record || this.running()) return [];
    return (await driverFor(record.runtime)).cleanUpLeftovers(record);
  }

  /** " --env staging", or "" for the default environment: for the commands printed as next steps. */
  envFlag(): string {
    return this.envSuffix(' --env ', '');
  }

  private envSuffix(before: string, after: string): string {
    return this.env.name === 'default' ? '' : `${before}${this.env.name}${after}`;
  }

  private async waitForOutcome(pid: number, request: StartRequest): Promise<PlatformState> {
    const deadline = Date.now() + request.timeoutMs + 30_000;
    let shownProgress = 0;
    let shownWarnings = 0;
    let readyShown = '';
    const failed = (reason: string): PlatformState => ({ ...(readState(this.env.stateDir) ?? this.emptyState(pid, request.runtime)), phase: 'failed', failure: { service: 'platform', reason, logTail: [] } });
    while (Date.now() < deadline) {
      if (request.abortSignal?.aborted) {
        await this.abandon(pid);
        return failed('interrupted');
      }
      const state = readState(this.env.stateDir);
      if (state) {
        for (const warning of state.warnings.slice(shownWarnings)) request.onWarning?.(warning);
        shownWarnings = state.warnings.length;
        for (const line of state.progress.slice(shownProgress)) request.onProgress?.(line);
        shownProgress = state.progress.length;
        const ready = state.services.map((s) => `${s.name} ${s.ready}/${s.desired}`).join(', ');
        if (state.phase === 'starting' && ready && ready !== readyShown) {
          request.onProgress?.(`ready: ${ready}`);
          readyShown = ready;
        }
        if (state.phase === 'running') return state;
        if (state.phase === 'failed') {
          // It stops what it started before it exits: "everything started has been stopped" is true once it is gone.
          await waitUntilGone(pid, undefined, 30_000);
          return readState(this.env.stateDir) ?? state;
        }
      }
      if (!isSameProcess(pid, undefined)) {
        return readState(this.env.stateDir) ?? failed(`the control plane exited during start-up; see .tall/${this.env.name}/control-plane.log`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.stop();
    return failed(`not ready within ${Math.round(request.timeoutMs / 1000)} s; everything started has been stopped`);
  }

  /**
   * Gives up on a start: the control plane may not have published its state yet (a Ctrl-C a moment after the start),
   * so it is stopped through the process this client started, then whatever it got going is cleaned up.
   */
  private async abandon(pid: number): Promise<void> {
    if (this.running()) {
      await this.stop();
      return;
    }
    signal(pid, 'SIGTERM');
    if (!(await waitUntilGone(pid, undefined, 15_000))) signal(pid, 'SIGKILL');
    await this.cleanUpLeftovers();
    removeState(this.env.stateDir);
  }

  private emptyState(pid: number, runtime: RuntimeKind): PlatformState {
    return {
      env: this.env.name, runtime, pid, phase: 'failed', startedAt: new Date().toISOString(), composeFile: this.env.composeFile,
      projectName: this.env.projectName, progress: [], warnings: [], services: [], instances: [],
    };
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function waitForExit(state: PlatformState, timeoutMs: number): Promise<void> {
  if (!(await waitUntilGone(state.pid, state.pidStartTime, timeoutMs))) signal(state.pid, 'SIGKILL');
}
