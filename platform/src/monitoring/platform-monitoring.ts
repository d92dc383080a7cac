/**
 * Everything the control plane does to be watched, started and stopped together: the Prometheus endpoint (router,
 * platform and instances' own metrics), the scraper of instances' metrics, the sampler that turns the router's
 * totals into the dashboard's charts, and the dashboard itself (mounted on the API server).
 */
import type { ApiServer } from '../control-plane/api-server.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { PlatformState } from '../control-plane/state-file.js';
import type { RouterThread } from '../routing/router-thread.js';
import type { InstanceView as DataServiceView } from '../data-services/broker.js';
import type { ActiveChaos } from '../chaos/chaos-request.js';
import { Dashboard } from './dashboard/dashboard-server.js';
import { dashboardView, type ViewSources } from './dashboard/dashboard-view.js';
import { labStatusReader } from './dashboard/lab-status.js';
import { RedSampler } from './dashboard/red-sampler.js';
import type { EventLog } from './event-log.js';
import { InstanceScraper, type ScrapeTarget } from './instance-scraper.js';
import { MetricsServer } from './metrics-server.js';
import { platformMetrics } from './platform-metrics.js';

export interface MonitoringParts {
  plane: ControlPlane;
  router: RouterThread;
  events: EventLog;
  api: ApiServer;
  state: () => PlatformState;
  /** the broker's instances, as people are shown them (no secret) */
  dataServices: () => readonly DataServiceView[];
  /** the kill schedules and faults `tall chaos` started */
  chaos: () => readonly ActiveChaos[];
  /** the platform's root (services/compose.yaml's folder's parent): where .tall/progress.json is */
  root: string;
}

export class PlatformMonitoring {
  private readonly scraper: InstanceScraper;
  private readonly sampler: RedSampler;
  private readonly metrics: MetricsServer;
  private readonly dashboard: Dashboard;

  constructor(parts: MonitoringParts) {
    const { plane, router, events, api } = parts;
    this.scraper = new InstanceScraper(() => scrapeTargets(plane), (target, outcome) => events.record(
      outcome.ok ? 'metrics-back' : 'metrics-failing',
      outcome.ok ? `${target.instance}: its metrics can be scraped again` : `${target.instance}: its metrics could not be scraped (${outcome.error}); tall_instance_scrape_up is 0 until they can`,
      { service: target.service, instance: target.instance },
    ));
    const registry = platformMetrics(() => ({ services: plane.services(), instances: plane.instanceViews(), dataServices: parts.dataServices() }));
    this.scraper.register(registry);
    this.metrics = new MetricsServer({ router: () => router.metrics(), platform: registry, instances: (reserved) => this.scraper.exposition(reserved) });
    const routes = plane.project.services.flatMap((service) => (service.tall.route ? [service.tall.route] : []));
    this.sampler = new RedSampler(() => router.totals(), () => routes, (point) => this.dashboard.pushPoint(point));
    const sources: ViewSources = {
      state: parts.state,
      dataServices: parts.dataServices,
      chaos: parts.chaos,
      events: () => events.all(),
      vitals: () => this.scraper.vitals(),
      scraped: new Set(plane.project.services.filter((service) => service.tall.metricsPath).map((service) => service.name)),
      lab: labStatusReader(parts.root),
    };
    this.dashboard = new Dashboard({ token: () => api.token, port: () => api.port, history: () => this.sampler.history(), view: () => dashboardView(sources) });
    api.mount((req, res) => this.dashboard.handle(req, res));
  }

  /** Starts scraping and sampling; resolves with the URL of /metrics. */
  async start(): Promise<string> {
    const url = await this.metrics.listen();
    this.scraper.start();
    this.sampler.start();
    return url;
  }

  /** Something the dashboard shows changed (an instance, an event). */
  changed(): void {
    this.dashboard.viewChanged();
  }

  /** A one-time code that opens the dashboard (for `tall dashboard`). */
  ticket(): { ticket: string; expiresInMs: number } {
    return this.dashboard.ticket();
  }

  async stop(): Promise<void> {
    this.sampler.stop();
    this.dashboard.close();
    await this.scraper.stop();
    await this.metrics.close();
  }
}

/** The running instances of services that declare x-tall.metrics_path, at their own loopback address. */
function scrapeTargets(plane: ControlPlane): ScrapeTarget[] {
  const paths = new Map(plane.project.services.flatMap((service) => (service.tall.metricsPath ? [[service.name, service.tall.metricsPath] as const] : [])));
  return plane.instanceViews().flatMap((instance) => {
    const path = paths.get(instance.service);
    if (!path || instance.state !== 'running') return [];
    return [{ service: instance.service, instance: instance.id, url: `http://${instance.address}${path.startsWith('/') ? '' : '/'}${path}` }];
  });
}
