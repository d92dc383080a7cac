import type { ServiceSpec } from '../compose/model.js';
import type { InstanceHandle, Runtime } from '../runtimes/runtime.js';
import { machineLoad } from './machine-load.js';
import { httpProbe } from './probes.js';

/** How often a starting instance is asked whether it is ready, so `up` returns soon after it is. */
const STARTUP_PROBE_INTERVAL_MS = 150;

/**
 * A service that declares no readiness probe is still watched: any HTTP answer to GET / within the timeout counts, so a
 * frozen or wedged instance leaves the pool even when no request happens to notice it. Generous timeout and two misses
 * in a row, so a slow laptop does not take healthy instances out.
 */
export const IMPLICIT_READINESS = { path: '/', intervalMs: 3000, timeoutMs: 2000, failureThreshold: 2 };

export interface HealthCallbacks {
  onReadiness(ready: boolean, detail: string): void;
  /** Liveness failed `retries` times in a row: the instance should be restarted. */
  onUnhealthy(detail: string): void;
  /** A probe result that was not counted, and why. */
  onInconclusive?(detail: string): void;
}

/**
 * Watches one instance. Liveness is the Compose `healthcheck` (run through the runtime, inside the container or beside the
 * process); readiness is `x-tall.readiness` over HTTP. Compose has only the first and never acts on it; the platform
 * keeps them apart, as Kubernetes does: an unready instance leaves the router's pool, an unhealthy one is restarted.
 */
export class InstanceHealth {
  private stopped = false;
  private ready = false;
  private readinessFailures = 0;
  private livenessFailures = 0;
  private livenessStarted = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly service: ServiceSpec,
    private readonly handle: InstanceHandle,
    private readonly runtime: Runtime,
    private readonly callbacks: HealthCallbacks,
  ) {}

  start(): void {
    this.schedule(() => this.probeReadiness(), 0);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  get isReady(): boolean {
    return this.ready;
  }

  private async probeReadiness(): Promise<void> {
    const declared = this.service.tall.readiness;
    const probe = declared ?? IMPLICIT_READINESS;
    const { host, port } = this.handle;
    const result = await httpProbe(host, port, probe.path, probe.timeoutMs, !declared);
    if (this.stopped) return;
    if (result.ok) {
      this.readinessFailures = 0;
      if (!this.ready) this.setReady(true, result.detail);
    } else if (this.ready && ++this.readinessFailures >= probe.failureThreshold) {
      this.setReady(false, `${result.detail}${probe.failureThreshold > 1 ? ` (${this.readinessFailures} times in a row)` : ''}`);
    }
    this.schedule(() => this.probeReadiness(), this.ready ? probe.intervalMs : STARTUP_PROBE_INTERVAL_MS);
  }

  private async probeLiveness(): Promise<void> {
    const check = this.service.healthcheck!;
    const result = await this.runtime.exec(this.handle, check.test, check.timeoutMs);
    if (this.stopped) return;
    if (result.exitCode === 0 || (result.timedOut && (await this.slowNotDead(check.timeoutMs)))) {
      this.livenessFailures = 0;
    } else if (++this.livenessFailures >= check.retries) {
      const why = result.timedOut ? `timed out after ${check.timeoutMs} ms` : `exit code ${result.exitCode}${result.output ? `: ${result.output.slice(0, 200)}` : ''}`;
      this.callbacks.onUnhealthy(`healthcheck failed ${this.livenessFailures} times in a row (${why})`);
      return;
    }
    this.schedule(() => this.probeLiveness(), check.intervalMs);
  }

  /**
   * A healthcheck that timed out on an overloaded machine may say more about the machine than the instance: starting
   * the probe's own program (a `node -e …`, a `curl`) alone can take seconds there. A second opinion then decides: if
   * the instance itself answers HTTP, it is slow, not dead, and is not restarted for it (restarting it would only add
   * load). On a machine that is not overloaded, a timeout counts, as in Docker and Kubernetes.
   */
  private async slowNotDead(timeoutMs: number): Promise<boolean> {
    const load = machineLoad();
    if (!load.overloaded) return false;
    const answer = await httpProbe(this.handle.host, this.handle.port, '/', Math.max(timeoutMs, 2000), true);
    if (answer.ok) this.callbacks.onInconclusive?.(`healthcheck timed out after ${timeoutMs} ms while the machine is overloaded (${load.describe}), but the instance answers (${answer.detail}): not counted`);
    return answer.ok;
  }

  private setReady(ready: boolean, detail: string): void {
    this.ready = ready;
    if (ready && !this.livenessStarted) this.startLiveness();
    this.callbacks.onReadiness(ready, detail);
  }

  /**
   * Liveness is asked only once the instance has started, i.e. been ready once (Kubernetes' startup probe does the same
   * job): a service still booting on a busy machine is not alive-or-dead yet, and restarting it would only start the
   * boot again. One that never gets ready fails `tall up` by its time limit; one that crashes is seen at its exit.
   */
  private startLiveness(): void {
    const check = this.service.healthcheck;
    if (!check) return;
    this.livenessStarted = true;
    this.schedule(() => this.probeLiveness(), Math.max(check.startPeriodMs, check.intervalMs));
  }

  private schedule(task: () => Promise<void>, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void task();
    }, delayMs);
    this.timers.add(timer);
  }
}
