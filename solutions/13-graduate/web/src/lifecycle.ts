// What this service promises the platform (lab 01): it says whether it is alive and ready, which version it is,
// and it stops gracefully — a deploy or a scale-in must not drop the requests it is serving.
import { hostname } from 'node:os';
import type { Express } from 'express';

export interface Lifecycle {
  /** the version this instance runs, from APP_VERSION: set by whoever deploys it, never in the code */
  version: string;
  /** the environment it runs in, from SHOP_ENV: development, staging, production… */
  environment: string;
  /** app.listen on the address the platform gives (HOST), plus a graceful stop on SIGTERM / SIGINT */
  listen(port: number, host?: string): void;
}

/** How long in-flight requests get to finish after SIGTERM (the platform waits stop_grace_period, 10 s, then kills). */
const DRAIN_MS = 8000;

export function lifecycle(app: Express, service: string): Lifecycle {
  const version = process.env.APP_VERSION ?? '0.0.0-dev';
  // Which environment this instance belongs to (lab 02): from the environment's configuration, never guessed.
  const environment = process.env.SHOP_ENV ?? 'development';
  const instance = process.env.INSTANCE_INDEX ? `${service}/${process.env.INSTANCE_INDEX}` : hostname();
  const startedAt = new Date().toISOString();
  let draining = false;

  // Registered before the request log, so the platform's probes (every second) don't flood it.
  app.use((_req, res, next) => {
    res.set('X-Version', version);
    next();
  });
  // Liveness: the process answers. Nothing more — a failing dependency is no reason to be restarted.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness: send me traffic. False while draining, so the router stops sending new requests here.
  app.get('/ready', (_req, res) => {
    res.status(draining ? 503 : 200).json({ ready: !draining });
  });
  app.get('/info', (_req, res) => {
    res.json({ service, version, environment, instance, startedAt });
  });

  return {
    version,
    environment,
    listen(port: number, host = process.env.HOST ?? '127.0.0.1') {
      const server = app.listen(port, host, () => {
        console.log(`${service} ${version} listening on ${host}:${port}`);
      });
      const stop = (signal: string) => {
        if (draining) return;
        draining = true;
        console.log(`${signal}: draining — no new connections, finishing requests in flight`);
        // Stop accepting; exit once every connection is closed. Keep-alive connections close as soon as they are idle.
        server.close(() => {
          console.log(`${service} stopped cleanly`);
          process.exit(0);
        });
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        idle.unref();
        setTimeout(() => {
          console.log(`requests still running after ${DRAIN_MS} ms: stopping anyway`);
          process.exit(1);
        }, DRAIN_MS).unref();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
  };
}
