import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { BalancingStrategy } from '../compose/model.js';
import { ServicePool, type Endpoint } from './balancer.js';
import { requestHeadersFor, withoutHopByHop } from './forwarded-headers.js';
import { matchRoute } from './route-match.js';
import { UpstreamPools } from './upstream-pools.js';
import type { RoutingTable } from './routing-table.js';
import { hasBody, isIdempotent, isRetryableError, MAX_ATTEMPTS, REPLAYABLE_BODY_LIMIT } from './retry-policy.js';

export interface RouterNotice {
  kind: 'retry' | 'no-instance' | 'failed';
  route: string;
  instance?: string;
  detail: string;
}

export interface RouterOptions {
  /** addresses to listen on; always loopback, plus (docker runtime) the bridge address containers reach the host by */
  hosts: string[];
  port: number;
  onNotice?: (notice: RouterNotice) => void;
}

interface Attempt {
  route: string;
  pool: ServicePool;
  path: string;
  prefix: string;
  tried: Set<string>;
  body?: Buffer;
}

export class PortInUseError extends Error {
  constructor(readonly host: string, readonly port: number) {
    super(`port ${port} on ${host} is already in use. Stop what uses it (lsof -i :${port}), or choose another port: --port <n> or TALL_PORT=<n>`);
  }
}

/** The platform's router: one front door on 127.0.0.1 that spreads requests over each service's ready instances. */
export class Router implements RoutingTable {
  private readonly pools = new Map<string, ServicePool>();
  private readonly servers: http.Server[] = [];
  private readonly upstreams = new UpstreamPools();

  constructor(private readonly options: RouterOptions) {}

  get port(): number {
    const address = this.servers[0]?.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  /** Declares a route (one per routed service) with its balancing strategy. */
  declare(route: string, strategy: BalancingStrategy): ServicePool {
    const pool = this.pools.get(route) ?? new ServicePool(strategy);
    pool.strategy = strategy;
    this.pools.set(route, pool);
    return pool;
  }

  setMember(route: string, endpoint: Endpoint, inPool: boolean): void {
    const pool = this.pools.get(route);
    if (!pool) return;
    if (inPool) pool.add(endpoint);
    else if (pool.remove(endpoint.id)) this.pruneConnections();
  }

  async inflight(route: string, id: string): Promise<number> {
    return this.pools.get(route)?.inflightOf(id) ?? 0;
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
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })));
    await this.upstreams.closeAll();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const matched = matchRoute(req.headers.host, req.url ?? '/', (name) => this.pools.has(name));
    if (!matched) return this.sendIndex(req, res);
    const prefix = matched.path === req.url ? '' : `/${matched.route}`;
    const attempt: Attempt = { route: matched.route, pool: this.pools.get(matched.route)!, path: matched.path, prefix, tried: new Set() };
    if (!isIdempotent(req.method) || !hasBody(req)) return this.forward(req, res, attempt);
    // An idempotent request with a body is kept in memory so it can be replayed on another instance.
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= REPLAYABLE_BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size <= REPLAYABLE_BODY_LIMIT) attempt.body = Buffer.concat(chunks);
      else attempt.tried = new Set(attempt.pool.endpoints().map((e) => e.id)); // too big to replay: one try only
      this.forward(req, res, attempt);
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse, attempt: Attempt): void {
    const endpoint = attempt.pool.pick(attempt.tried);
    if (!endpoint) {
      const detail = attempt.tried.size > 0 ? 'every instance tried failed' : 'no ready instance';
      this.options.onNotice?.({ kind: 'no-instance', route: attempt.route, detail });
      return sendJson(res, 503, {
        error: `${detail} of service "${attempt.route}"`,
        service: attempt.route,
        fix: `see "npx tall ps" for its instances and "npx tall logs ${attempt.route}" for why they are not ready`,
      });
    }
    attempt.tried.add(endpoint.id);
    attempt.pool.begin(endpoint.id);
    const streamBody = attempt.body === undefined && hasBody(req);
    // undici's stream() is its API for proxies: the response is written straight into `res` without buffering.
    this.upstreams.for(endpoint).stream(
      {
        path: attempt.path,
        method: (req.method ?? 'GET') as 'GET',
        headers: requestHeadersFor(req, attempt.prefix),
        body: attempt.body ?? (streamBody ? req : null),
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, { ...withoutHopByHop(headers as Record<string, string | string[]>), 'x-instance': endpoint.id });
        return res;
      },
      (error) => {
        attempt.pool.end(endpoint.id);
        if (!error) return;
        const canRetry = !res.headersSent && isRetryableError(error as NodeJS.ErrnoException) && isIdempotent(req.method)
          && attempt.tried.size < MAX_ATTEMPTS && !streamBody;
        if (canRetry) {
          this.options.onNotice?.({ kind: 'retry', route: attempt.route, instance: endpoint.id, detail: error.message });
          return this.forward(req, res, attempt);
        }
        if (res.destroyed) return; // the client went away: nothing failed on the platform's side
        this.options.onNotice?.({ kind: 'failed', route: attempt.route, instance: endpoint.id, detail: error.message });
        if (res.headersSent) return void res.destroy();
        sendJson(res, 502, { error: `instance ${endpoint.id} failed: ${error.message}`, service: attempt.route });
      },
    );
  }

  /** Forget connections to instances that are no longer in any pool. */
  private pruneConnections(): void {
    this.upstreams.prune([...this.pools.values()].flatMap((pool) => pool.endpoints()));
  }

  private sendIndex(req: IncomingMessage, res: ServerResponse): void {
    const routes = Object.fromEntries([...this.pools].map(([route, pool]) => [route, { url: `/${route}/`, ready: pool.size, balance: pool.strategy }]));
    if (req.url === '/' || req.url === '') return sendJson(res, 200, { router: 'tall', routes });
    sendJson(res, 404, { error: `no service is routed at ${req.url}`, routes: Object.keys(routes).map((route) => `/${route}/`) });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
