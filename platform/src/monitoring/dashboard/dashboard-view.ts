import type { PlatformState } from '../../control-plane/state-file.js';
import type { PlatformEvent } from '../event-log.js';
import type { InstanceVitals } from '../instance-scraper.js';
import type { LabStatus } from './lab-status.js';
import { masked } from './mask.js';

/** Everything the dashboard page shows but the charts: no token, no environment variable, no credential. */
export interface DashboardView {
  env: string;
  runtime: string;
  phase: string;
  startedAt: string;
  routerUrl?: string;
  metricsUrl?: string;
  services: { name: string; route: string | false; desired: number; ready: number; metrics: boolean }[];
  instances: (Omit<PlatformState['instances'][number], 'pid' | 'pidStartTime' | 'containerId'> & { vitals?: InstanceVitals })[];
  /** newest last */
  events: PlatformEvent[];
  /** whatever the platform state says about data services and their bindings, masked; null when it says nothing */
  dataServices: unknown;
  lab: LabStatus | null;
}

export interface ViewSources {
  state: () => PlatformState;
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
  // Whatever a data-service broker adds to the state (dataServices, bindings): read as it comes, shown masked.
  const extra = state as unknown as Record<string, unknown>;
  const data = extra.dataServices ?? extra.bindings;
  return {
    env: state.env,
    runtime: state.runtime,
    phase: state.phase,
    startedAt: state.startedAt,
    routerUrl: state.routerUrl,
    metricsUrl: state.metricsUrl,
    services: state.services.map((service) => ({ name: service.name, route: service.route, desired: service.desired, ready: service.ready, metrics: sources.scraped.has(service.name) })),
    // An instance that is not running has no figures of its own (the last ones were its previous process's).
    instances: state.instances.map(({ pid: _pid, pidStartTime: _start, containerId: _container, ...instance }) => ({ ...instance, vitals: instance.state === 'running' ? vitals[instance.id] : undefined })),
    events: sources.events().filter((event) => event.type !== 'platform' || !event.message.startsWith('---')).slice(-RECENT_EVENTS),
    dataServices: data === undefined || data === null ? null : masked(extra.bindings !== undefined && extra.dataServices !== undefined ? { services: extra.dataServices, bindings: extra.bindings } : data),
    lab: sources.lab() ?? null,
  };
}
