import type { PlatformState } from '../../control-plane/state-file.js';
import type { PlatformEvent } from '../event-log.js';
import type { InstanceVitals } from '../instance-scraper.js';
import type { LabStatus } from './lab-status.js';
import type { InstanceView as DataServiceView } from '../../data-services/broker.js';
import type { QueueStats } from '../../data-services/message-queues.js';
import { maskText } from './mask.js';
import type { ActiveChaos } from '../../chaos/chaos-request.js';
import { describeParameters } from '../../chaos/describe-chaos.js';
import { summarizeAutoscale } from '../../autoscaling/autoscaler.js';

/** Everything the dashboard page shows but the charts: no token, no environment variable, no credential. */
export interface DashboardView {
  env: string;
  runtime: string;
  phase: string;
  startedAt: string;
  routerUrl?: string;
  metricsUrl?: string;
  /** `autoscale`: an autoscaled service's figures in a line, and the reason of its last change */
  services: { name: string; route: string | false; desired: number; ready: number; metrics: boolean; autoscale?: { summary: string; lastChange?: string } }[];
  instances: (Omit<PlatformState['instances'][number], 'pid' | 'pidStartTime' | 'containerId'> & { vitals?: InstanceVitals })[];
  /** newest last */
  events: PlatformEvent[];
  /** the broker's instances and what is bound to them; a URL's password masked */
  dataServices: DataServiceRow[];
  /** the kill schedules and faults `tall chaos` runs now */
  chaos: ChaosRow[];
  lab: LabStatus | null;
}

export interface DataServiceRow {
  name: string;
  service: string;
  plan: string;
  server: string;
  operation: string;
  url?: string;
  boundTo: string[];
  resurrections: number;
  /** a message broker's queues */
  queues: QueueStats[];
}

export interface ChaosRow {
  kind: ActiveChaos['kind'];
  service: string;
  /** "every 10 s", "300 ms on 50 %", "503 on 100 %" */
  parameters: string;
  /** absent: until stopped */
  endsAt?: string;
}

export interface ViewSources {
  state: () => PlatformState;
  dataServices: () => readonly DataServiceView[];
  chaos: () => readonly ActiveChaos[];
  events: () => readonly PlatformEvent[];
  vitals: () => Record<string, InstanceVitals>;
  /** services that declare x-tall.metrics_path */
  scraped: ReadonlySet<string>;
  lab: () => LabStatus | undefined;
}

const RECENT_EVENTS = 40;

export function dashboardView(sources: ViewSources): DashboardView {
  const state = sources.state();
  const vitals = sources.vitals();
  return {
    env: state.env,
    runtime: state.runtime,
    phase: state.phase,
    startedAt: state.startedAt,
    routerUrl: state.routerUrl,
    metricsUrl: state.metricsUrl,
    services: state.services.map((service) => ({
      name: service.name, route: service.route, desired: service.desired, ready: service.ready, metrics: sources.scraped.has(service.name),
      ...(service.autoscale ? { autoscale: { summary: summarizeAutoscale(service.autoscale), lastChange: service.autoscale.lastChange } } : {}),
    })),
    // An instance that is not running has no figures of its own (the last ones were its previous process's).
    instances: state.instances.map(({ pid: _pid, pidStartTime: _start, containerId: _container, ...instance }) => ({ ...instance, vitals: instance.state === 'running' ? vitals[instance.id] : undefined })),
    events: sources.events().filter((event) => event.type !== 'platform' || !event.message.startsWith('---')).slice(-RECENT_EVENTS),
    // Picked field by field (no pid, no storage path); the URL is masked by the broker already, and once more here.
    dataServices: sources.dataServices().map((data) => ({
      name: data.name, service: data.service, plan: data.plan, server: data.server,
      operation: `${data.lastOperation.type} ${data.lastOperation.state}`,
      url: data.url === undefined ? undefined : maskText(data.url),
      boundTo: data.bindings.map((binding) => binding.app),
      resurrections: data.resurrections,
      queues: data.queues ?? [],
    })),
    chaos: sources.chaos().map((chaos) => ({ kind: chaos.kind, service: chaos.service, parameters: describeParameters(chaos), endsAt: chaos.endsAt })),
    lab: sources.lab() ?? null,
  };
}
