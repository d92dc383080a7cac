import type { ServiceSpec, UpdateConfig } from '../compose/model.js';
import { DEFAULT_UPDATE_CONFIG } from '../compose/normalize-service.js';
import { UserError } from '../control-plane/user-error.js';
import { instanceId, type Instance } from '../control-plane/instance.js';
import type { EventLog, PlatformEventType } from '../monitoring/event-log.js';
import type { Runtime } from '../runtimes/runtime.js';
import { swap, switchBlueGreen } from './blue-green.js';
import { DEFAULT_ERROR_RATIO, watchErrors, type Totals } from './error-watch.js';
import type { Fleet } from './fleet.js';
import { waitAllReady } from './readiness-gate.js';
import { rollInstances, type RollPlan } from './rolling-update.js';
import { VersionHistory, type Outcome, type VersionRecord } from './version-history.js';

/** How long each new instance may take to be ready, unless `tall deploy --timeout` says. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;

/** What `tall deploy` and `tall rollback` report. */
export interface DeployOutcome {
  service: string;
  /** the version the service runs now */
  version: number;
  /** the version this deploy made (a rollback: the one it left) */
  attempted: number;
  strategy: 'rolling' | 'blue-green';
  outcome: Outcome;
  reason?: string;
  changes: string[];
  hash?: string;
  instances: { id: string; version: number; standby: boolean }[];
  durationMs: number;
}

export interface DeployerParts {
  fleet: Fleet;
  runtime: Runtime;
  events: EventLog;
  /** the router's totals per route, for the error rate during a monitor window */
  totals: Totals;
  /** the service as the compose file says now (read again) */
  readSpec: (service: string) => ServiceSpec;
  services: ServiceSpec[];
}

/**
 * `tall deploy` and `tall rollback`: numbers each service's versions, builds the new one, rolls it out (rolling with
 * deploy.update_config, or blue-green) and undoes it by itself when a new instance is not ready in time or the error rate
 * rises. One deploy or rollback per service at a time: a second is refused, naming the one in progress.
 */
export class Deployer {
  readonly versions = new VersionHistory();
  private readonly busy = new Map<string, string>();

  constructor(private readonly parts: DeployerParts) {
    for (const service of parts.services) this.versions.begin(service);
  }

  history(service: string): VersionRecord[] {
    this.parts.fleet.spec(service);
    return this.versions.records(service);
  }

  async deploy(service: string, options: { readyTimeoutMs?: number } = {}, progress: (line: string) => void = () => undefined): Promise<DeployOutcome> {
    const current = this.parts.fleet.spec(service);
    const version = this.versions.next(service);
    return this.exclusively(service, `v${version}`, async () => {
      const started = Date.now();
      let spec: ServiceSpec;
      try {
        spec = { ...this.parts.readSpec(service), bindingEnvironment: current.bindingEnvironment, version };
      } catch (error) {
        throw new UserError(`deploy ${service}: the compose file cannot be read; nothing changed.\n${(error as Error).message}`, 'fix it (npx tall config shows every problem), then deploy again');
      }
      const strategy = spec.tall.deploy ?? 'rolling';
      const say = this.announcer(service, progress);
      say('deploying', `deploy ${service} v${version}: building`);
      let image: string | undefined;
      try {
        image = await this.parts.runtime.buildVersion?.(spec, (line) => progress(line));
      } catch (error) {
        this.versions.add(spec, strategy, undefined);
        const why = `its build failed: ${(error as Error).message}`;
        this.versions.settle(service, version, 'failed', why.split('\n')[0]);
        say('deploy-failed', `deploy ${service} v${version} failed: ${why.split('\n')[0]}; nothing changed`);
        throw new UserError(`deploy ${service} v${version} failed; nothing changed: ${why}`, `fix the build, then run "npx tall deploy ${service}" again`);
      }
      const entry = this.versions.add(spec, strategy, image);
      const config = spec.updateConfig ?? DEFAULT_UPDATE_CONFIG;
      say('deploying', `deploy ${service} v${version} (${entry.changes.join(', ') || 'no config change'}; ${entry.hash}): ${strategy === 'blue-green' ? 'blue-green' : `rolling, ${config.parallelism || 'all'} at a time, ${config.order}`}`);
      const previous = this.versions.current(service)!;
      await this.retireStandby(service, (message) => say('deploying', `deploy ${service} v${version}: ${message}`));
      const active = this.parts.fleet.instancesOf(service).filter((instance) => !instance.standby);
      const step = (message: string, instance?: string) => say('deploying', `deploy ${service} v${version}: ${message}`, instance);
      const failure = strategy === 'blue-green'
        ? await this.blueGreen(spec, active, config, options, step)
        : await this.rolling(spec, previous.spec, active, config, options, step);
      let outcome: Outcome = 'succeeded';
      if (!failure) {
        this.parts.fleet.install(spec);
        say('deployed', `deploy ${service} v${version} succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } else if (failure.action === 'rollback') {
        outcome = 'rolled back';
        say('rolled-back', `deploy ${service} v${version} rolled back: ${failure.reason}`);
      } else if (failure.action === 'continue') {
        this.parts.fleet.install(spec);
        const behind = this.parts.fleet.instancesOf(service).filter((instance) => !instance.standby && instance.spec.version !== version).length;
        say('deployed', `deploy ${service} v${version} done despite failures (failure_action: continue): ${failure.reason}${behind ? `; ${behind} instance${behind === 1 ? '' : 's'} still run${behind === 1 ? 's' : ''} v${previous.version}` : ''}`);
      } else {
        outcome = 'paused';
        this.parts.fleet.install(spec);
        say('deploy-failed', `deploy ${service} v${version} paused (failure_action: pause): ${failure.reason}; some instances run v${version}, others v${previous.version}`);
      }
      this.versions.settle(service, version, outcome, failure?.reason);
      return this.outcome(service, version, strategy, outcome, failure?.reason, entry.changes, entry.hash, started);
    });
  }

  async rollback(service: string, options: { readyTimeoutMs?: number } = {}, progress: (line: string) => void = () => undefined): Promise<DeployOutcome> {
    this.parts.fleet.spec(service);
    return this.exclusively(service, 'rollback', async () => {
      const started = Date.now();
      const current = this.versions.current(service)!;
      const target = this.versions.previousGood(service);
      if (!target) {
        throw new UserError(`${service} has no earlier version to roll back to: it runs v${current.version}, and no version before it succeeded`, `deploy a new version instead: npx tall deploy ${service}`);
      }
      const say = this.announcer(service, progress);
      const instances = this.parts.fleet.instancesOf(service);
      // Every kept instance goes back (one that is not ready this moment joins the pool when it is), if any can serve now.
      const waiting = instances.filter((instance) => instance.standby && (instance.spec.version ?? 1) === target.version);
      const active = instances.filter((instance) => !instance.standby);
      let failure: string | undefined;
      if (waiting.some((instance) => instance.ready)) {
        // Blue-green kept the old set running: switching back is instant.
        swap(this.parts.fleet, waiting, active);
        say('switched', `rollback ${service}: switched the route back to v${target.version} (${waiting.map(instanceId).join(', ')})`);
        await Promise.all(active.map((instance) => this.parts.fleet.drainAndStop(instance)));
      } else {
        say('deploying', `rollback ${service}: v${current.version} → v${target.version}, rolling`);
        const config = target.spec.updateConfig ?? DEFAULT_UPDATE_CONFIG;
        failure = (await rollInstances(this.parts.fleet, target.spec, active, this.plan(config, options, undefined, (message, instance) => say('deploying', `rollback ${service}: ${message}`, instance)))).failure;
      }
      if (failure) {
        say('deploy-failed', `rollback ${service} to v${target.version} stopped: ${failure}`);
        throw new UserError(`rollback ${service} to v${target.version} stopped: ${failure}`, `see why: npx tall logs ${service}; "npx tall ps" shows which version each instance runs`);
      }
      this.parts.fleet.install(target.spec);
      this.versions.settle(service, current.version, 'rolled back', 'tall rollback');
      this.versions.reinstate(service, target.version);
      say('rolled-back', `${service} rolled back from v${current.version} to v${target.version} (tall rollback)`);
      return this.outcome(service, current.version, current.strategy === 'blue-green' ? 'blue-green' : 'rolling', 'rolled back', 'tall rollback', [], target.hash, started);
    });
  }

  private async rolling(spec: ServiceSpec, previous: ServiceSpec, active: Instance[], config: UpdateConfig, options: { readyTimeoutMs?: number }, step: RollPlan['step']): Promise<{ action: UpdateConfig['failureAction']; reason: string } | undefined> {
    const rolled = await rollInstances(this.parts.fleet, spec, active, { ...this.plan(config, options, spec, step), keepGoing: config.failureAction === 'continue' });
    // `continue` rolls on whatever fails, and says what it carried on past.
    if (rolled.tolerated.length > 0 && config.failureAction === 'continue') return { action: 'continue', reason: rolled.tolerated.join('; ') };
    if (!rolled.failure) return undefined;
    if (config.failureAction === 'pause') return { action: 'pause', reason: rolled.failure };
    step(`${rolled.failure}; rolling back to v${previous.version ?? 1}`);
    // While the old version still serves, the new instances leave the pool at once rather than one by one as replaced.
    const serving = this.parts.fleet.instancesOf(spec.name).filter((instance) => !instance.standby && instance.ready && !rolled.replaced.includes(instance));
    if (serving.length > 0) for (const instance of rolled.replaced) this.parts.fleet.setStandby(instance, true);
    const back = await rollInstances(this.parts.fleet, previous, rolled.replaced, this.plan(previous.updateConfig ?? DEFAULT_UPDATE_CONFIG, options, undefined, step));
    // stop-first left fewer instances when a new one failed: the old version gets its count back.
    const missing = active.length - this.parts.fleet.instancesOf(spec.name).filter((instance) => !instance.standby).length;
    if (missing > 0) {
      const added = await this.parts.fleet.add(previous, missing);
      await waitAllReady(added, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    }
    return { action: 'rollback', reason: back.failure ? `${rolled.failure} (and the rollback stopped: ${back.failure})` : rolled.failure };
  }

  private async blueGreen(spec: ServiceSpec, blue: Instance[], config: UpdateConfig, options: { readyTimeoutMs?: number }, step: RollPlan['step']): Promise<{ action: 'rollback'; reason: string } | undefined> {
    const switched = await switchBlueGreen(this.parts.fleet, spec, blue, {
      readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      monitor: () => watchErrors(this.parts.totals, spec.tall.route, config.monitorMs, errorRatio(config)),
      step,
    });
    // Whatever a failure leaves, blue still has the route: a blue-green failure is always a rollback.
    return switched.failure ? { action: 'rollback', reason: switched.failure } : undefined;
  }

  private plan(config: UpdateConfig, options: { readyTimeoutMs?: number }, watched: ServiceSpec | undefined, step: RollPlan['step']): RollPlan {
    return {
      ...config,
      readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      monitor: watched && (async (_batch, windowMs) => watchErrors(this.parts.totals, watched.tall.route, windowMs, errorRatio(config))),
      step,
    };
  }

  /** A blue-green deploy's previous set, kept for an instant rollback, goes when the next deploy starts. */
  private async retireStandby(service: string, step: (message: string) => void): Promise<void> {
    const standby = this.parts.fleet.instancesOf(service).filter((instance) => instance.standby);
    if (standby.length === 0) return;
    step(`stopping ${standby.map(instanceId).join(', ')} (the previous blue-green set, kept for a rollback until now)`);
    await Promise.all(standby.map((instance) => this.parts.fleet.drainAndStop(instance)));
  }

  /** Each step an event (what `tall deploy` shows as it goes) and a line of progress. */
  private announcer(service: string, progress: (line: string) => void) {
    return (type: PlatformEventType, message: string, instance?: string) => {
      progress(message);
      this.parts.events.record(type, message, { service, instance });
    };
  }

  private async exclusively<T>(service: string, what: string, work: () => Promise<T>): Promise<T> {
    const running = this.busy.get(service);
    if (running) throw new UserError(`${service} is already being changed (${running}); one deploy or rollback of a service at a time`, `wait for it to finish (npx tall events ${service} -f shows its progress), then try again`);
    this.busy.set(service, `${what === 'rollback' ? 'a rollback' : `deploy ${what}`} since ${new Date().toISOString().slice(11, 19)}`);
    try {
      return await work();
    } finally {
      this.busy.delete(service);
    }
  }

  private outcome(service: string, attempted: number, strategy: DeployOutcome['strategy'], outcome: Outcome, reason: string | undefined, changes: string[], hash: string | undefined, started: number): DeployOutcome {
    // Stopped instances are gone from `tall ps` only once the state is published again.
    this.parts.fleet.changed();
    return {
      service,
      version: this.versions.current(service)?.version ?? attempted,
      attempted,
      strategy,
      outcome,
      reason,
      changes,
      hash,
      instances: this.parts.fleet.instancesOf(service).map((instance) => ({ id: instanceId(instance), version: instance.spec.version ?? 1, standby: Boolean(instance.standby) })),
      durationMs: Date.now() - started,
    };
  }
}

/** max_failure_ratio when the file sets one above 0, else a small share: one unlucky 5xx should not undo a deploy. */
function errorRatio(config: UpdateConfig): number {
  return config.maxFailureRatio > 0 ? config.maxFailureRatio : DEFAULT_ERROR_RATIO;
}
