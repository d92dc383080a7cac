/**
 * Runs a lab's checks against a throwaway platform: one check at a time, each with its own time limit. A check that
 * runs out of time, crashes, or finds the platform gone is a failure with a reason — never a pass, never a hang.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDuration } from '../compose/duration.js';
import type { Containment } from '../containment/containment.js';
import { CheckFailed, type Check, type CheckContext, type EnvironmentHandle, type EnvironmentRequest, type LabChecks, type RuntimeKind, type StartFailure } from './check-api.js';
import { checkContext, environmentHandle, removeScratch, type Activity } from './check-context.js';
import type { Lab, Manifest } from './manifest.js';
import type { LabPaths } from './lab-paths.js';
import { describeFaults, routerFaultsSince } from './router-faults.js';
import { acquireSlot, containSlot, environmentAlive, neutralEnvironmentName, platformIn, prepareCopy, startEnvironment, stopEnvironment, useInPlace, type Slot, type StartedEnvironment } from './throwaway.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  name: string;
  title: string;
  status: CheckStatus;
  points: number;
  maxPoints: number;
  durationMs: number;
  timeoutMs: number;
  /** why it failed or was skipped (for the learner), or what it saw when it passed */
  message?: string;
  notes: string[];
  /** how many hints `tall hint` has for it */
  hints: number;
}

export interface EnvironmentResult {
  /** as the lab calls it */
  name: string;
  /** as the platform calls it (its state folder's name) */
  platformName?: string;
  started: boolean;
  /** the lab expects it not to start (a service refusing to run without a setting) */
  expectStartFailure?: boolean;
  routerUrl?: string;
  startMs: number;
  failure?: StartFailure;
}

export interface LabResult {
  lab: { id: string; slug: string; title: string };
  runtime: RuntimeKind;
  ok: boolean;
  startedAt: string;
  /** from the start of the run until the last check finished (the throwaway platform is torn down after) */
  durationMs: number;
  platform: EnvironmentResult;
  environments: EnvironmentResult[];
  checks: CheckResult[];
  points: { earned: number; possible: number };
  summary: { passed: number; failed: number; skipped: number };
  /** where the checked copy and its platform state are (kept until the next run, for `tall logs`) */
  workspace: string;
  /** set when the run was interrupted (Ctrl-C) */
  interrupted?: boolean;
}

export type RunEvent =
  | { type: 'copying'; from: string; to: string }
  | { type: 'starting'; environments: string[] }
  | { type: 'started'; environment: EnvironmentResult }
  | { type: 'check-started'; check: { name: string; title: string } }
  | { type: 'check-finished'; result: CheckResult }
  | { type: 'stopping' };

export interface SessionOptions {
  paths: LabPaths;
  runtime: RuntimeKind;
  /** the services/ folder to check (the learner's, or a solution's in the self-test) */
  source: string;
  manifest: Manifest;
  onEvent?: (event: RunEvent) => void;
  /** the checked code is untrusted (grading): see containment/ */
  containment?: Containment;
}

/**
 * Loads a lab's checks.ts and matches it with the manifest. `instance` gives a session a module of its own: a lab's
 * checks keep what they picked at random in module state, and a grader runs several sessions in one process.
 */
export async function loadChecks(lab: Lab, instance?: string): Promise<LabChecks> {
  const url = pathToFileURL(lab.checksFile);
  if (instance) url.searchParams.set('session', instance);
  const module = (await import(url.href)) as { default?: LabChecks };
  const definition = module.default;
  if (!definition || !Array.isArray(definition.checks)) throw new Error(`${lab.checksFile} must "export default defineChecks({...})"`);
  return definition;
}

let sessions = 0;

/**
 * One throwaway copy of the shop and the environments started from it. `tall check` runs one lab in a session; the
 * self-test runs a solution's lab and every earlier lab in one session, so the main platform starts once.
 */
export class CheckSession {
  private slot?: Slot;
  private main?: StartedEnvironment & { key: string };
  private readonly running = new Set<string>();
  /** the environments the last lab asked for: stopped when the next lab starts, or at close() */
  private labEnvironments: string[] = [];
  private readonly abort = new AbortController();
  private closing?: Promise<void>;
  private readonly id = String(++sessions);

  constructor(private readonly options: SessionOptions) {}

  get interrupted(): boolean {
    return this.abort.signal.aborted;
  }

  get workspace(): string | undefined {
    return this.slot?.root;
  }

  /** Ctrl-C: stop the check in progress; `close()` still tears everything down. */
  interrupt(): void {
    this.abort.abort();
  }

  private factor(): number {
    return this.options.runtime === 'docker' ? this.options.manifest.dockerFactor : 1;
  }

  /** `only`: run just these checks (a fake is judged by the checks it aims at); the rest are reported skipped. */
  async runLab(lab: Lab, only?: string[]): Promise<LabResult> {
    const begun = Date.now();
    const startedAt = new Date().toISOString();
    const definition = await loadChecks(lab, this.id);
    const settings = (check: Check) => ({ points: check.points, timeoutMs: parseDuration(check.timeout, lab.defaultCheckTimeoutMs) });
    const startTimeout = lab.startTimeoutMs * this.factor();
    const emit = this.options.onEvent ?? (() => undefined);

    if (!this.slot) {
      this.slot = await acquireSlot(this.options.paths.checksDir);
      if (this.options.containment) containSlot(this.slot, this.options.containment);
      if (resolve(this.options.source) === resolve(this.options.paths.services)) {
        useInPlace(this.slot, this.options.paths.workRoot, this.options.paths.services);
      } else {
        emit({ type: 'copying', from: this.options.source, to: this.slot.services });
        prepareCopy(this.slot, this.options.source);
      }
    }
    const slot = this.slot;
    await Promise.all(this.labEnvironments.map((name) => this.stop(name)));
    // On the platform an extra environment has the name the lab gives it, else a neutral one; the lab knows it by its key.
    const wanted = Object.entries(definition.environments ?? {}).map(([key, request]) => ({ key, request, name: request.name ?? neutralEnvironmentName() }));
    this.labEnvironments = wanted.map(({ name }) => name);
    emit({ type: 'starting', environments: [...(this.main ? [] : ['default']), ...wanted.map(({ key }) => key)] });
    const start = (key: string, name: string, request: EnvironmentRequest) => {
      this.running.add(name);
      return startEnvironment(slot, name, request, { runtime: this.options.runtime, timeoutMs: startTimeout, abortSignal: this.abort.signal }).then((env) => {
        const known = { ...env, key };
        if (!this.interrupted) emit({ type: 'started', environment: summary(known, request) });
        return known;
      });
    };
    const [main, ...extras] = await Promise.all([
      this.main ? Promise.resolve(this.main) : start('default', 'default', {}),
      ...wanted.map(({ key, name, request }) => start(key, name, request)),
    ]);
    this.main = main!;

    const result: LabResult = {
      lab: { id: lab.id, slug: lab.slug, title: lab.title },
      runtime: this.options.runtime,
      ok: false,
      startedAt,
      durationMs: 0,
      platform: summary(main!),
      environments: extras.map((env) => summary(env, definition.environments?.[env.key])),
      checks: [],
      points: { earned: 0, possible: definition.checks.reduce((sum, check) => sum + settings(check).points, 0) },
      summary: { passed: 0, failed: 0, skipped: 0 },
      workspace: slot.dir,
    };

    const skipAll = (why: string) => {
      for (const check of definition.checks.slice(result.checks.length)) {
        result.checks.push({ name: check.name, title: check.title, status: 'skipped', points: 0, maxPoints: settings(check).points, durationMs: 0, timeoutMs: settings(check).timeoutMs * this.factor(), message: why, notes: [], hints: check.hints?.length ?? 0 });
      }
    };

    if (this.interrupted) {
      result.interrupted = true;
      skipAll('not run: interrupted');
    } else if (!main!.started) {
      skipAll('not run: the shop did not start (see above)');
    } else {
      const binding = (abortSignal: AbortSignal, activity: Activity) => ({ slot, runtime: this.options.runtime, abortSignal, activity });
      for (const check of definition.checks) {
        if (only && !only.includes(check.name)) {
          result.checks.push({ name: check.name, title: check.title, status: 'skipped', points: 0, maxPoints: settings(check).points, durationMs: 0, timeoutMs: 0, message: 'not run: not one this run is about', notes: [], hints: check.hints?.length ?? 0 });
          continue;
        }
        if (this.interrupted) {
          result.interrupted = true;
          skipAll('not run: interrupted');
          break;
        }
        if (!environmentAlive(slot, 'default')) {
          skipAll('not run: the platform stopped during an earlier check (see "tall logs platform" in the workspace)');
          break;
        }
        emit({ type: 'check-started', check: { name: check.name, title: check.title } });
        const checkBegan = new Date().toISOString();
        const timeoutMs = settings(check).timeoutMs * this.factor();
        const checkResult = await runCheck(check, { timeoutMs, points: settings(check).points, interrupt: this.abort.signal }, (abortSignal, activity, notes) => {
          const bound = binding(abortSignal, activity);
          const extrasByName = new Map<string, EnvironmentHandle>(extras.map((env) => [env.key, environmentHandle(env, bound)]));
          return checkContext(environmentHandle(main!, bound), extrasByName, bound, notes);
        });
        removeScratch(slot);
        if (checkResult.status === 'passed' && !check.allowRouterFaults) {
          // Lines reach the log a moment after the requests that caused them.
          await new Promise((resolve) => setTimeout(resolve, 100));
          const faults = routerFaultsSince([main!, ...extras].map((env) => platformIn(slot, env.name).env.stateDir), checkBegan);
          if (faults.length > 0) Object.assign(checkResult, { status: 'failed', points: 0, message: describeFaults(faults) });
        }
        if (checkResult.status === 'failed' && !environmentAlive(slot, 'default')) {
          checkResult.message = `${checkResult.message ?? ''}\nthe platform itself stopped during this check`.trim();
        }
        result.checks.push(checkResult);
        emit({ type: 'check-finished', result: checkResult });
      }
    }
    // Ctrl-C during the last check: that check is skipped, and the run is interrupted all the same (nothing recorded).
    if (this.interrupted) result.interrupted = true;
    for (const check of result.checks) {
      result.summary[check.status] += 1;
      result.points.earned += check.points;
    }
    result.ok = result.checks.length > 0 && result.checks.every((check) => check.status === 'passed');
    result.durationMs = Date.now() - begun;
    return result;
  }

  private async stop(name: string): Promise<void> {
    if (!this.slot || !this.running.has(name)) return;
    this.running.delete(name);
    await stopEnvironment(this.slot, name);
  }

  /** Tears every environment down and frees the slot. Safe to call twice, and after an interrupt. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.options.onEvent?.({ type: 'stopping' });
      await Promise.all([...this.running].map((name) => this.stop(name)));
      this.slot?.release();
    })();
    return this.closing;
  }
}

/**
 * Runs one check within its time limit. It passes if run() resolves; it fails — with a reason the learner can act on —
 * if run() throws, or if no verdict comes in time (the context's AbortSignal then stops its requests and waits).
 * It never waits longer than timeoutMs for a check that ignores the signal.
 */
export async function runCheck(
  check: Check,
  limits: { timeoutMs: number; points: number; interrupt?: AbortSignal },
  makeContext: (abortSignal: AbortSignal, activity: Activity, notes: string[]) => CheckContext,
): Promise<CheckResult> {
  const controller = new AbortController();
  const interrupted = () => limits.interrupt?.aborted === true;
  const onInterrupt = () => controller.abort();
  limits.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  const activity: Activity = { current: 'starting' };
  const notes: string[] = [];
  const started = Date.now();
  const outcome = await new Promise<{ ok: boolean; message?: string }>((resolve) => {
    const timer = setTimeout(() => {
      controller.abort();
      resolve({ ok: false, message: `no verdict within ${seconds(limits.timeoutMs)} (it was busy with: ${activity.current}). A service that does not answer, or answers very slowly, looks like this.` });
    }, limits.timeoutMs);
    Promise.resolve()
      .then(() => check.run(makeContext(controller.signal, activity, notes)))
      .then(
        (detail) => resolve({ ok: true, message: typeof detail === 'string' ? detail : undefined }),
        (error: unknown) => {
          if (interrupted()) return resolve({ ok: false, message: 'interrupted' });
          const failed = error instanceof CheckFailed || (error as Error)?.name === 'CheckFailed';
          resolve({ ok: false, message: failed ? (error as Error).message : `the check itself crashed: ${(error as Error)?.stack?.split('\n').slice(0, 3).join(' ') ?? String(error)}` });
        },
      )
      .finally(() => clearTimeout(timer));
  });
  controller.abort();
  limits.interrupt?.removeEventListener('abort', onInterrupt);
  return {
    name: check.name,
    title: check.title,
    status: outcome.ok ? 'passed' : interrupted() ? 'skipped' : 'failed',
    points: outcome.ok ? limits.points : 0,
    maxPoints: limits.points,
    durationMs: Date.now() - started,
    timeoutMs: limits.timeoutMs,
    message: outcome.message,
    notes,
    hints: check.hints?.length ?? 0,
  };
}

function summary(env: StartedEnvironment & { key: string }, request?: EnvironmentRequest): EnvironmentResult {
  return {
    name: env.key,
    platformName: env.name,
    started: env.started,
    expectStartFailure: request?.expectStartFailure,
    routerUrl: env.started ? env.routerUrl : undefined,
    startMs: env.startMs,
    failure: env.failure,
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** `tall check NN`: a session for one lab, always torn down. */
export async function checkLab(options: SessionOptions, lab: Lab, session = new CheckSession(options)): Promise<LabResult> {
  try {
    return await session.runLab(lab);
  } finally {
    await session.close();
  }
}
