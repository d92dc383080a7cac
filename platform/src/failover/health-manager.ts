import type { ServiceSpec } from '../compose/model.js';
import type { InstanceHandle, Runtime } from '../runtimes/runtime.js';
import { httpProbe } from './probes.js';

/** How often a starting instance is asked whether it is ready, so `up` returns soon after it is. */
const STARTUP_PROBE_INTERVAL_MS = 150;

export interface HealthCallbacks {
  onReadiness(ready: boolean, detail: string): void;
  /** Liveness failed `retries` times in a row: the instance should be restarted. */
  onUnhealthy(detail: string): void;
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
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly service: ServiceSpec,
    private readonly handle: InstanceHandle,
    private readonly runtime: Runtime,
    private readonly callbacks: HealthCallbacks,
  ) {}

  start(): void {
    this.schedule(() => this.probeReadiness(), 0);
    const check = this.service.healthcheck;
    if (check) this.schedule(() => this.probeLiveness(), Math.max(check.startPeriodMs, check.intervalMs));
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
    const probe = this.service.tall.readiness;
    const { host, port } = this.handle;
    const result = probe
      ? await httpProbe(host, port, probe.path, probe.timeoutMs)
      : await httpProbe(host, port, '/', 1000, true);
    if (this.stopped) return;
    if (result.ok) {
      this.readinessFailures = 0;
      if (!this.ready) this.setReady(true, result.detail);
    } else if (this.ready && ++this.readinessFailures >= (probe?.failureThreshold ?? 1)) {
      this.setReady(false, result.detail);
    }
    // Without a declared probe, the first HTTP answer is all there is to learn: from then on only an exit takes the
    // instance out of the pool (and probing "/" forever would fill the service's log with requests it never asked for).
    if (this.ready && !probe) return;
    this.schedule(() => this.probeReadiness(), this.ready ? probe!.intervalMs : STARTUP_PROBE_INTERVAL_MS);
  }

  private async probeLiveness(): Promise<void> {
    const check = this.service.healthcheck!;
    const result = await this.runtime.exec(this.handle, check.test, check.timeoutMs);
    if (this.stopped) return;
    if (result.exitCode === 0) {
      this.livenessFailures = 0;
    } else if (++this.livenessFailures >= check.retries) {
      const why = result.timedOut ? `timed out after ${check.timeoutMs} ms` : `exit code ${result.exitCode}${result.output ? `: ${result.output.slice(0, 200)}` : ''}`;
      this.callbacks.onUnhealthy(`healthcheck failed ${this.livenessFailures} times in a row (${why})`);
      return;
    }
    this.schedule(() => this.probeLiveness(), check.intervalMs);
  }

  private setReady(ready: boolean, detail: string): void {
    this.ready = ready;
    this.callbacks.onReadiness(ready, detail);
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
