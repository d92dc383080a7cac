import { AUTOSCALE_METRICS } from '../compose/autoscale-policy.js';
import type { AutoscaleMetric, AutoscalePolicy, ServiceSpec } from '../compose/model.js';
import type { InstanceView } from '../control-plane/instance.js';
import type { RedTotals } from '../routing/router-metrics.js';
import type { CpuSample, CpuSource } from './cpu-usage.js';
import { decide, emptyMemory, RATE_PERIOD_MS, type Decision, type DecisionMemory } from './decision.js';
import { measure, RouterWindow, type Measurement } from './metric-sources.js';

/** The least time a count set by hand stands on an autoscaled service (the kit's default scale-down window). */
export const MANUAL_HOLD_MS = 30_000;

/** How long a count set by hand stands on a service with this policy. */
const handHoldMs = (policy: AutoscalePolicy) => Math.max(policy.scaleDownWindowMs, MANUAL_HOLD_MS);

/** What `tall ps --json`, the dashboard and /metrics show of an autoscaled service. */
export interface AutoscaleStatus {
  metric: AutoscaleMetric;
  target: number;
  /** the metric's last value, rounded; null before the first figure */
  current: number | null;
  desired: number;
  min: number;
  max: number;
  /** the last change's reason */
  lastChange?: string;
}

export function autoscaleStatus(policy: AutoscalePolicy, current: number | null, desired: number): AutoscaleStatus {
  return { metric: policy.metric, target: policy.target, current, desired, min: policy.min, max: policy.max };
}

/** "rps/instance 12.3 (target 30) → 2 instances (1–5)": one line for people (ps, the dashboard). */
export function summarizeAutoscale(status: AutoscaleStatus): string {
  const { label, unit } = AUTOSCALE_METRICS[status.metric];
  const current = status.current === null ? 'not measured yet' : `${status.current}${unit}`;
  return `${label} ${current} (target ${status.target}${unit}) → ${status.desired} instance${status.desired === 1 ? '' : 's'} (${status.min}–${status.max})`;
}

/** What the loop needs of the control plane. */
export interface ScalingTarget {
  readonly project: { services: ServiceSpec[] };
  services(): { name: string; desired: number }[];
  instanceViews(): InstanceView[];
  scale(service: string, replicas: number, timeoutMs?: number, autoscaled?: string): Promise<unknown>;
  reportAutoscale(service: string, status: AutoscaleStatus): void;
  /** a decision that changed nothing, worth an `autoscaled` event (a window holding the count) */
  noteAutoscale(service: string, reason: string): void;
}

export interface AutoscalerOptions {
  /** how often the policies are evaluated; HPA's default sync period is 15 s, too slow to watch in a workshop */
  intervalMs?: number;
  /** the span the router's figures are taken over (a rate over a window, as Prometheus' rate()) */
  windowMs?: number;
  now?: () => number;
  /** a scale that failed (e.g. new instances not ready in time): for the platform's log */
  onError?: (service: string, error: Error) => void;
}

/**
 * The control loop: every few seconds, reads the router's totals (and CPU where a policy wants it), decides per
 * autoscaled service (decision.ts) and acts through the control plane's scale() — scale-in drains as `tall scale` does.
 * A service whose scale is still under way is not decided on again until it is done.
 */
export class Autoscaler {
  private readonly window: RouterWindow;
  private readonly memory = new Map<string, DecisionMemory>();
  private readonly busy = new Set<string>();
  /** services a stabilisation window is holding now: said once when the hold starts, not every evaluation */
  private readonly held = new Set<string>();
  /** services scaled by hand (`tall scale`): until when their count stands against a scale-in */
  private readonly handHeld = new Map<string, number>();
  private readonly policies: { service: ServiceSpec; policy: AutoscalePolicy }[];
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private stopped = false;

  constructor(
    private readonly plane: ScalingTarget,
    private readonly sources: { totals: () => Promise<Record<string, RedTotals>>; cpu?: CpuSource },
    private readonly options: AutoscalerOptions = {},
  ) {
    this.window = new RouterWindow(options.windowMs ?? 10_000);
    this.now = options.now ?? Date.now;
    this.policies = plane.project.services.flatMap((service) => (service.tall.autoscale ? [{ service, policy: service.tall.autoscale }] : []));
  }

  start(): void {
    if (this.policies.length === 0) return;
    // The count a service starts with counts as a recommendation made now, so a service started with more instances than
    // it needs keeps them for its scale-down window, as one that was just scaled up would (HPA starts with no history).
    const now = this.now();
    for (const view of this.plane.services()) {
      if (this.policies.some(({ service }) => service.name === view.name)) this.memory.set(view.name, { recommendations: [{ at: now, replicas: view.desired }], changes: [] });
    }
    void this.tick();
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * A count set by hand (`tall scale`) on an autoscaled service. HPA overrides a manual scale at its next sync; here the
   * count stands — even outside min–max — for the scale-down window (at least MANUAL_HOLD_MS, long enough to look at
   * it), and only load above the target adds to it meanwhile. No decision is taken while it is being applied.
   * Returns how long it stands, for the caller to say.
   */
  async scaleByHand<T>(service: string, apply: () => Promise<T>): Promise<{ result: T; holdMs?: number }> {
    const policy = this.policies.find((entry) => entry.service.name === service)?.policy;
    if (!policy) return { result: await apply() };
    const holdMs = handHoldMs(policy);
    this.busy.add(service);
    try {
      return { result: await apply(), holdMs };
    } finally {
      this.handHeld.set(service, this.now() + holdMs);
      this.held.delete(service);
      this.busy.delete(service);
    }
  }

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      this.window.add({ t: this.now(), totals: await this.sources.totals() });
      const instances = this.plane.instanceViews();
      const cpu = await this.sampleCpu(instances);
      for (const { service, policy } of this.policies) {
        if (this.busy.has(service.name) || this.stopped) continue;
        this.evaluate(service, policy, measure(service, policy, instances, this.window, cpu));
      }
    } catch (error) {
      // the router is stopping, or docker stats failed once: no decision this time
      this.options.onError?.('autoscaler', error as Error);
    } finally {
      this.ticking = false;
    }
  }

  private async sampleCpu(instances: InstanceView[]): Promise<CpuSample> {
    const wanted = new Set(this.policies.filter(({ policy }) => policy.metric === 'cpu_percent').map(({ service }) => service.name));
    if (!this.sources.cpu || wanted.size === 0) return { percent: new Map(), overMs: 0 };
    return this.sources.cpu.sample(instances.filter((instance) => wanted.has(instance.service) && instance.state === 'running'));
  }

  private evaluate(service: ServiceSpec, policy: AutoscalePolicy, measured: Measurement): void {
    const replicas = this.plane.services().find((view) => view.name === service.name)?.desired ?? policy.min;
    let decision = decide(policy, this.memory.get(service.name) ?? emptyMemory(), { now: this.now(), replicas, measuredOn: measured.measuredOn, value: measured.value });
    this.memory.set(service.name, decision.memory);
    if ((this.handHeld.get(service.name) ?? 0) > this.now() && decision.desired < replicas) decision = { ...decision, desired: replicas, limitedBy: 'hand' };
    const status = autoscaleStatus(policy, measured.value === undefined ? null : Math.round(measured.value * 10) / 10, decision.desired);
    const reason = describeDecision(service.name, policy, measured, replicas, decision);
    if (decision.desired === replicas) {
      // Why a loaded service does not scale up at once, or an idle one not down: the window, said when it starts holding.
      const holding = (decision.limitedBy === 'window' || decision.limitedBy === 'hand') && decision.raw !== replicas;
      if (holding && !this.held.has(service.name)) this.plane.noteAutoscale(service.name, reason);
      if (holding) this.held.add(service.name);
      else this.held.delete(service.name);
      return this.plane.reportAutoscale(service.name, status);
    }
    this.held.delete(service.name);
    this.plane.reportAutoscale(service.name, { ...status, lastChange: reason });
    this.busy.add(service.name);
    void this.plane.scale(service.name, decision.desired, undefined, reason)
      .catch((error: Error) => this.options.onError?.(service.name, error))
      .finally(() => this.busy.delete(service.name));
  }
}

/** "autoscale catalog: rps/instance 48 > 30 (over 10 s) → 2 → 3", and what held it back when something did. */
export function describeDecision(name: string, policy: AutoscalePolicy, measured: Measurement, replicas: number, decision: Decision): string {
  const { label, unit } = AUTOSCALE_METRICS[policy.metric];
  const value = Math.round((measured.value ?? 0) * 10) / 10;
  const comparison = value > policy.target ? '>' : value < policy.target ? '<' : '=';
  const over = measured.overMs > 0 ? ` (over ${Math.round(measured.overMs / 1000)} s)` : '';
  const held: Partial<Record<NonNullable<Decision['limitedBy']>, string>> = {
    max: ` (${decision.raw} wanted; max is ${policy.max})`,
    min: ` (min is ${policy.min})`,
    rate: ` (${decision.raw} wanted; at most max(4, 100 %) more within ${RATE_PERIOD_MS / 1000} s)`,
    hand: ` (${decision.raw} wanted; a count set by hand with "tall scale" stands for ${handHoldMs(policy) / 1000} s)`,
    window: ` (${decision.raw} wanted; the ${decision.raw < decision.desired ? `${policy.scaleDownWindowMs / 1000} s scale-down` : `${policy.scaleUpWindowMs / 1000} s scale-up`} window holds it at ${decision.desired})`,
  };
  return `autoscale ${name}: ${label} ${value}${unit} ${comparison} ${policy.target}${unit}${over} → ${replicas} → ${decision.desired}${decision.limitedBy ? held[decision.limitedBy] ?? '' : ''}`;
}
