import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { ServicePool, type Endpoint } from './balancer.js';
import { matchRoute } from './route-match.js';
import { OutlierDetector } from './outlier-detection.js';
import { ProxiedRequest, sendJson, type AttemptReport, type ProxyTarget } from './proxied-request.js';
import { hasBody, isIdempotent, REPLAYABLE_BODY_LIMIT, type GatewayFailure } from './retry-policy.js';
import { routeSettings, type RouteSettings } from './route-settings.js';
import { UpstreamPools } from './upstream-pools.js';
import type { RoutingTable } from './routing-table.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { RouterMetrics } from './router-metrics.js';
import { decideFaults, type Fault } from '../chaos/fault-rules.js';

export interface RouterNotice {
  /**
   * retry/hedge: a request was also sent to another instance; failed/timeout: a request failed at the gateway;
   * no-instance: nothing to send it to; ejected/returned: passive health took an instance out of its route or let it back
   */
  kind: 'retry' | 'hedge' | 'no-instance' | 'failed' | 'timeout' | 'ejected' | 'returned';
  route: string;
  instance?: string;
  detail: string;
}

/** One request as the access log keeps it. */
export interface AccessEntry {
  time: string;
  id: string;
  method: string;
  route: string;
  path: string;
  /** who answered, e.g. "catalog/2"; absent when no instance did */
  instance?: string;
  /** 499 when the caller went away first (nginx's code) */
  status: number;
  ms: number;
}

export interface RouterOptions {
  /** addresses to listen on; always loopback, plus (docker runtime) the bridge address containers reach the host by */
  hosts: string[];
  port: number;
  /** request metrics and an access line per request (off only to measure what they cost) */
  monitoring?: boolean;
  onNotice?: (notice: RouterNotice) => void;
  onAccess?: (entry: AccessEntry) => void;
}

/** One routed service: its pool, settings, and the passive-health record of its instances. */
interface Route {
  pool: ServicePool;
  settings: RouteSettings;
  outliers: OutlierDetector;
  returnTimers: Map<string, NodeJS.Timeout>;
  /** injected by `tall chaos latency|abort` */
  faults: Fault[];
}

export class PortInUseError extends Error {
  constructor(readonly host: string, readonly port: number) {
    super(`port ${port} on ${host} is already in use. Stop what uses it (lsof -i :${port}), or choose another port: --port <n> or TALL_PORT=<n>`);
  }
}

const FAILURE_WORDS: Record<GatewayFailure | 'hedged', string> = {
  connect: 'refused connections',
  reset: 'closed connections before answering',
  'headers-timeout': 'gave no answer in time',
  'idle-timeout': 'stalled while answering',
  other: 'failed',
  hedged: 'gave no answer within the hedge time while another instance did',
};

/** A body of known, small size can be kept for a replay; a larger or chunked one streams through, tried once. */
function fitsInMemory(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length <= REPLAYABLE_BODY_LIMIT;
}

/** The platform's router: one front door on 127.0.0.1 that spreads requests over each service's ready instances. */
export class Router implements RoutingTable {
  private readonly routes = new Map<string, Route>();
  private readonly servers: http.Server[] = [];
  private readonly upstreams = new UpstreamPools();
  readonly metrics = new RouterMetrics();

  constructor(private readonly options: RouterOptions) {}

  get port(): number {
    const address = this.servers[0]?.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  /** Declares a route (one per routed service) with its balancing and timeouts. */
  declare(name: string, settings: RouteSettings = routeSettings()): ServicePool {
    const existing = this.routes.get(name);
    const pool = existing?.pool ?? new ServicePool(settings.balance);
    pool.strategy = settings.balance;
    this.routes.set(name, { pool, settings, outliers: existing?.outliers ?? new OutlierDetector(settings.outlier), returnTimers: existing?.returnTimers ?? new Map(), faults: existing?.faults ?? [] });
    return pool;
  }

  setFaults(name: string, faults: Fault[]): void {
    const route = this.routes.get(name);
    if (route) route.faults = faults;
  }

  setMember(name: string, endpoint: Endpoint, inPool: boolean): void {
    const route = this.routes.get(name);
    if (!route) return;
    if (inPool) {
      route.pool.add(endpoint);
      return;
    }
    if (!route.pool.remove(endpoint.id)) return;
    route.outliers.forget(endpoint.id);
    clearTimeout(route.returnTimers.get(endpoint.id));
    route.returnTimers.delete(endpoint.id);
    this.pruneConnections();
  }

  async inflight(name: string, id: string): Promise<number> {
    return this.routes.get(name)?.pool.inflightOf(id) ?? 0;
  }

  async listen(): Promise<void> {
    let port = this.options.port;
    for (const host of this.options.hosts) {
      const server = http.createServer((req, res) => this.handle(req, res));
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port) : error));
        server.listen(port, host, () => resolve());
      });
      this.servers.push(server);
      port = this.port;
    }
  }

  async close(): Promise<void> {
    for (const route of this.routes.values()) for (const timer of route.returnTimers.values()) clearTimeout(timer);
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })));
    await this.upstreams.closeAll();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const matched = matchRoute(req.headers.host, req.url ?? '/', (name) => this.routes.has(name));
    if (!matched) return this.sendIndex(req, res);
    const route = this.routes.get(matched.route)!;
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const target: ProxyTarget = {
      route: matched.route,
      pool: route.pool,
      settings: route.settings,
      path: matched.path,
      prefix: matched.path === req.url ? '' : `/${matched.route}`,
      requestId,
      onDone: this.options.monitoring === false ? undefined : this.observer(req, matched.route, matched.path, requestId),
    };
    const proxied = new ProxiedRequest(req, res, target, this.upstreams, this.reportFor(matched.route, route));
    // Decided here, once, before any instance is chosen: the router's own retries and hedges can't dodge a fault.
    const fault = decideFaults(route.faults);
    const start = () => (fault?.abortStatus === undefined ? proxied.start(fault?.loseAnswer) : proxied.abort(fault.abortStatus));
    const go = fault?.delayMs ? () => void setTimeout(start, fault.delayMs) : start;
    if (fault?.abortStatus !== undefined || !isIdempotent(req.method) || !hasBody(req) || !fitsInMemory(req)) return go();
    // An idempotent request with a small body is kept in memory so it can be replayed on another instance.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      target.body = Buffer.concat(chunks);
      go();
    });
  }

  /** When the answer is over: the RED figures, and one access line. */
  private observer(req: IncomingMessage, route: string, path: string, id: string): ProxyTarget['onDone'] {
    const began = performance.now();
    return (status, instance) => {
      const ms = performance.now() - began;
      this.metrics.request(route, instance, status, ms / 1000);
      this.options.onAccess?.({ time: new Date().toISOString(), id, method: req.method ?? 'GET', route, path, instance, status, ms: Math.round(ms * 10) / 10 });
    };
  }

  private reportFor(name: string, route: Route): AttemptReport {
    return {
      notice: (kind, detail, instance) => {
        this.metrics.intervention(name, kind);
        this.options.onNotice?.({ kind, route: name, instance, detail });
      },
      succeeded: (endpoint) => route.outliers.success(endpoint.id),
      failed: (endpoint, failure) => {
        if (!route.pool.has(endpoint.id) || route.pool.isEjected(endpoint.id)) return;
        const ejectForMs = route.outliers.failure(endpoint.id, route.pool.size, route.pool.ejectedCount);
        if (ejectForMs === undefined) return;
        route.pool.eject(endpoint.id);
        const detail = `${route.settings.outlier.consecutiveFailures} requests in a row ${FAILURE_WORDS[failure]}; out of the route for ${ejectForMs / 1000} s`;
        this.metrics.intervention(name, 'ejected');
        this.options.onNotice?.({ kind: 'ejected', route: name, instance: endpoint.id, detail });
        const timer = setTimeout(() => {
          route.returnTimers.delete(endpoint.id);
          if (route.pool.restore(endpoint.id)) this.options.onNotice?.({ kind: 'returned', route: name, instance: endpoint.id, detail: `back in the route after ${ejectForMs / 1000} s` });
        }, ejectForMs);
        timer.unref();
        route.returnTimers.set(endpoint.id, timer);
      },
    };
  }

  /** Forget connections to instances that are no longer in any pool. */
  private pruneConnections(): void {
    this.upstreams.prune([...this.routes.values()].flatMap((route) => route.pool.endpoints()));
  }

  private sendIndex(req: IncomingMessage, res: ServerResponse): void {
    const routes = Object.fromEntries([...this.routes].map(([name, route]) => [name, { url: `/${name}/`, ready: route.pool.size, balance: route.pool.strategy }]));
    if (req.url === '/' || req.url === '') return sendJson(res, 200, { router: 'tall', routes });
    sendJson(res, 404, { error: `no service is routed at ${req.url}`, routes: Object.keys(routes).map((name) => `/${name}/`) });
  }
}
