// Lab 08: what this service lets you see of it.
//   - JSON log lines (pino), each line of a request carrying its id (reqId), taken from the x-request-id header the
//     router sets (or the caller passed on);
//   - RED metrics (prom-client) at GET /metrics: requests by method, route and status, and how long they took;
//   - tracedFetch(): calls to other services pass the id on, so one request can be followed through all of them.
// The same file in every service: index.ts calls observe(app) once, logs with log(), calls others with tracedFetch().
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Express, NextFunction, Request as ExpressRequest, Response as ExpressResponse } from 'express';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The service's logger: one JSON object per line on stdout (no transport: it bundles with esbuild and runs anywhere).
 * Secrets in the headers of a logged request (payment's API key) never reach the logs.
 */
export const logger = pino({ redact: ['req.headers.authorization', 'req.headers.cookie'] });

/** The request being served, wherever the code is: AsyncLocalStorage follows it through every await. */
const current = new AsyncLocalStorage<{ id: string; log: Logger }>();

/** The logger for what is going on now: the request's (every line carries its reqId), or the service's between requests. */
export function log(): Logger {
  return current.getStore()?.log ?? logger;
}

/** A plain id as the router accepts it (letters, digits and _.:-, up to 128); anything else is replaced. */
const PLAIN_ID = /^[\w.:-]{1,128}$/;

/** The id of the request being served (lab 10: it travels in the messages the request causes), or undefined. */
export function requestId(): string | undefined {
  return current.getStore()?.id;
}

/**
 * Runs `work` as part of request `id`, e.g. a message that carries the id of the request that caused it (lab 10):
 * log() lines carry it as the request's own lines do, so `tall logs --request <id>` follows it past the broker.
 */
export function partOf<T>(id: unknown, work: () => T): T {
  if (typeof id !== 'string' || !PLAIN_ID.test(id)) return work();
  return current.run({ id, log: logger.child({ reqId: id }) }, work);
}

/** fetch, passing the current request's id on: the next service logs the same id, and so does the router. */
export function tracedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const id = current.getStore()?.id;
  if (id) headers.set('x-request-id', id);
  return fetch(url, { ...init, headers });
}

/** Logs and metrics for every request from here on; GET /metrics for Prometheus (and the platform: x-tall.metrics_path). */
export function observe(app: Express): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'Requests answered, by method, route and status', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'How long requests took to answer, by method, route and status',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // Registered before the request log and the counting: Prometheus (or the platform) asking every 5 s is not traffic.
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  app.use(
    pinoHttp({
      logger,
      // The router's id (or the caller's, passed on); a new one only if the request came from elsewhere.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && PLAIN_ID.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // req.log lines carry reqId only; the one line per answer carries the request, the status and the time.
      quietReqLogger: true,
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );

  app.use((req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    const stop = duration.startTimer();
    res.on('finish', () => {
      // The route as written in the code (/products/:id), not the path: one series per route, whatever the ids.
      const labels = { method: req.method, route: req.route ? `${req.baseUrl}${req.route.path}` : 'unmatched', status: String(res.statusCode) };
      requests.inc(labels);
      stop(labels);
    });
    // One line when a request arrives (pino-http adds one when it is answered).
    req.log.info(`${req.method} ${req.originalUrl}`);
    current.run({ id: String(req.id), log: req.log }, next);
  });
}
