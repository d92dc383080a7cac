// Lab 01 · Rapid application deployment — the checks. They run against a throwaway copy of your services/.
import { brief, defineChecks, describeAnswer as describe, fail, forEach, type ComposeDocument } from '../../platform/src/labs/check-api.js';

const SERVICES = ['catalog', 'payment', 'orders', 'notifier', 'web'];
/** A version no code can know in advance: if /info reports it, it came from the environment. */
const RELABEL = `9.${Math.floor(Math.random() * 900) + 100}.0-check`;
/** How long a payment takes in the "deploy" environment: long enough to stop an instance in the middle of one. */
const SLOW_PAYMENT_MS = 2000;

function environmentOf(document: ComposeDocument, service: string): Record<string, unknown> {
  const spec = document.services[service];
  if (!spec) return {};
  if (Array.isArray(spec.environment)) {
    spec.environment = Object.fromEntries(spec.environment.map((item) => {
      const [key, ...rest] = String(item).split('=');
      return [key, rest.length ? rest.join('=') : null];
    }));
  }
  spec.environment ??= {};
  return spec.environment as Record<string, unknown>;
}

const eachService = (check: (service: string) => Promise<string | undefined>) => forEach(SERVICES, check);

export default defineChecks({
  environments: {
    // A second deployment of the same services and configuration, with a new version label and a slow payment provider.
    deploy: {
      config: 'default',
      compose(document) {
        for (const service of SERVICES) environmentOf(document, service).APP_VERSION = RELABEL;
        environmentOf(document, 'payment').PAYMENT_LATENCY_MS = String(SLOW_PAYMENT_MS);
      },
    },
  },
  checks: [
    {
      name: 'health-endpoints',
      title: 'every service answers GET /health with 200 (liveness)',
      points: 2,
      timeout: '10s',
      hints: [
        'Try it: curl -i http://127.0.0.1:8080/catalog/health — today every service answers 404.',
        'Add a route to each service: app.get(\'/health\', (_req, res) => { res.json({ status: \'ok\' }); }). Liveness means "the process answers": keep it that simple.',
      ],
      async run(ctx) {
        await eachService(async (service) => {
          const answer = await ctx.http.get(`/${service}/health`);
          return answer.status === 200 ? undefined : `GET /${service}/health answered ${describe(answer)}; expected 200`;
        });
      },
    },
    {
      name: 'readiness-endpoints',
      title: 'every service answers GET /ready with 200 when it can take traffic (readiness)',
      points: 1,
      timeout: '10s',
      hints: [
        'Readiness is a separate question from liveness: "may the router send me requests now?" Add GET /ready to each service.',
        'Answer 200 normally and 503 while the service is shutting down, so the router stops sending it new requests before it goes.',
      ],
      async run(ctx) {
        await eachService(async (service) => {
          const answer = await ctx.http.get(`/${service}/ready`);
          return answer.status === 200 ? undefined : `GET /${service}/ready answered ${describe(answer)}; expected 200`;
        });
      },
    },
    {
      name: 'probes-declared',
      title: 'compose.yaml tells the platform how to probe each service: a healthcheck and x-tall.readiness',
      points: 2,
      timeout: '10s',
      hints: [
        'The platform only uses probes it is told about. In services/compose.yaml each service needs a "healthcheck:" (liveness) and "x-tall: readiness: /ready".',
        'Write the healthcheck once as an anchor (x-liveness: &liveness) and use "healthcheck: *liveness" in every service. The test that works in both runtimes:\n  ["CMD", "node", "-e", "fetch(\'http://127.0.0.1:\'+(process.env.PORT||3000)+\'/health\').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]',
      ],
      async run(ctx) {
        const services = ctx.compose();
        await eachService(async (name) => {
          const spec = services.find((service) => service.name === name);
          if (!spec) return `services/compose.yaml has no service "${name}"`;
          const problems: string[] = [];
          if (!spec.healthcheck) problems.push('no healthcheck (liveness probe)');
          else if (!spec.healthcheck.test.join(' ').includes('/health')) problems.push(`a healthcheck that does not ask /health (${brief(spec.healthcheck.test.join(' '), 80)})`);
          if (!spec.tall.readiness) problems.push('no x-tall.readiness (readiness probe)');
          else if (spec.tall.readiness.path !== '/ready') problems.push(`x-tall.readiness ${spec.tall.readiness.path}, expected /ready`);
          return problems.length ? `in services/compose.yaml, ${name} has ${problems.join(' and ')}` : undefined;
        });
        // The platform uses them: every instance got ready through its readiness probe.
        const notReady = (await ctx.services()).filter((service) => service.ready < service.desired);
        if (notReady.length) fail(`with these probes, not every instance is ready: ${notReady.map((s) => `${s.name} ${s.ready}/${s.desired}`).join(', ')}`);
      },
    },
    {
      name: 'info-endpoints',
      title: 'every service answers GET /info with its name and the version compose.yaml gives it (APP_VERSION)',
      points: 2,
      timeout: '10s',
      hints: [
        'GET /info should answer JSON like {"service": "catalog", "version": "1.1.0", ...}. The X-Version header every answer carries should say the same.',
        'The version must not be a constant in the code: read process.env.APP_VERSION, and set APP_VERSION under each service\'s "environment:" in services/compose.yaml.',
      ],
      async run(ctx) {
        const services = ctx.compose();
        await eachService(async (service) => {
          const declared = services.find((spec) => spec.name === service)?.environment.APP_VERSION;
          if (!declared) return `services/compose.yaml sets no APP_VERSION in the environment of ${service}`;
          const answer = await ctx.http.get(`/${service}/info`);
          if (answer.status !== 200) return `GET /${service}/info answered ${describe(answer)}; expected 200 with {"service": "${service}", "version": "${declared}"}`;
          const info = answer.json as { service?: unknown; version?: unknown } | undefined;
          if (!info || info.service !== service || info.version !== declared) {
            return `GET /${service}/info answered ${brief(answer.text)}; expected "service": "${service}" and "version": "${declared}" (APP_VERSION in compose.yaml)`;
          }
          if (answer.headers['x-version'] !== declared) return `${service}: the X-Version header says ${answer.headers['x-version'] ?? '(none)'}, /info says ${declared}: both should come from APP_VERSION`;
          return undefined;
        });
      },
    },
    {
      name: 'version-from-environment',
      title: 'a deployment labelled with another APP_VERSION reports that version — no code change, no rebuild',
      points: 2,
      timeout: '10s',
      hints: [
        'The check deploys your services again with APP_VERSION set to a version your code cannot know. /info and X-Version must report it.',
        'Look for any version string left in the code: VERSION = \'1.0.0\' constants, a version in a header. Everything should come from process.env.APP_VERSION.',
      ],
      async run(ctx) {
        const deploy = ctx.environment('deploy');
        if (!deploy.started) fail(`the relabelled deployment did not start: ${deploy.failure?.reason ?? '?'}\n${deploy.failure?.logTail.slice(-8).map((line) => `  | ${line}`).join('\n') ?? ''}`);
        await eachService(async (service) => {
          const answer = await deploy.http.get(`/${service}/info`);
          const version = (answer.json as { version?: unknown } | undefined)?.version;
          if (answer.status !== 200 || version !== RELABEL) return `deployed with APP_VERSION=${RELABEL}, GET /${service}/info answered ${describe(answer)}; expected "version": "${RELABEL}"`;
          if (answer.headers['x-version'] !== RELABEL) return `deployed with APP_VERSION=${RELABEL}, ${service} still sends X-Version: ${answer.headers['x-version'] ?? '(none)'}`;
          return undefined;
        });
      },
    },
    {
      name: 'graceful-shutdown',
      title: 'an instance told to stop (SIGTERM) finishes the order it is placing, then exits',
      allowRouterFaults: true,
      points: 3,
      timeout: '20s',
      hints: [
        'Try it: start the shop with a slow payment provider (PAYMENT_LATENCY_MS=3000 npx tall up), place an order (curl -X POST http://127.0.0.1:8080/orders/orders -H content-type:application/json -d \'{"productId":"tall-mug"}\') and while it waits, stop orders: kill -TERM <pid> (the pid is in "npx tall ps"). curl gets an error: the order died with the process — after the customer was charged.',
        'Handle SIGTERM: process.on(\'SIGTERM\', ...). Keep the server that app.listen(...) returns and call server.close(callback): it stops accepting new connections and calls back once the open ones are done. Exit in the callback.',
        'Keep-alive connections can keep server.close() waiting: call server.closeIdleConnections() every 100 ms while draining, and set a deadline (e.g. 8 s, below the platform\'s 10 s stop_grace_period) after which you exit anyway. Answer /ready with 503 while draining.',
      ],
      async run(ctx) {
        const deploy = ctx.environment('deploy');
        if (!deploy.started) fail(`the deployment with a slow payment provider did not start: ${deploy.failure?.reason ?? '?'}`);
        const [instance] = await deploy.instances('orders');
        if (!instance?.ready) fail(`orders has no ready instance to stop (${brief(instance ?? 'none')})`);
        const sentAt = Date.now();
        const order = deploy.http.post('/orders/orders', { productId: 'tall-mug', quantity: 1 }, { timeoutMs: SLOW_PAYMENT_MS + 8000 }).then(
          (answer) => answer,
          (error: Error) => error,
        );
        await ctx.sleep(SLOW_PAYMENT_MS / 3);
        await deploy.signal(instance, 'SIGTERM');
        const answer = await order;
        if (answer instanceof Error) fail(`an order was in flight on ${instance.id} when it got SIGTERM, and the request died with it: ${answer.message}. Expected: it finishes the order (201), then exits.`);
        if (answer.status !== 201) fail(`an order was in flight on ${instance.id} when it got SIGTERM; the customer got ${describe(answer)} instead of 201 — the instance stopped in the middle of it (after the payment was charged). Expected: stop taking new connections, finish what is in flight, then exit.`);
        const exited = await ctx.waitFor(`${instance.id} to exit after its last request`, async () => {
          const now = (await deploy.instances('orders')).find((candidate) => candidate.id === instance.id);
          return now?.lastExit && Date.parse(now.lastExit.at) >= sentAt ? now.lastExit : undefined;
        }, 6000).catch(() => undefined);
        if (!exited) fail(`${instance.id} finished the order but was still running 6 s later: after SIGTERM a service should exit once its requests are done (close idle keep-alive connections; don't wait for the platform to kill it)`);
        if (exited.signal) fail(`${instance.id} finished the order but then was killed by ${exited.signal} instead of exiting by itself`);
        return `the order completed (201 after ${answer.ms} ms) and ${instance.id} exited with code ${exited.code}`;
      },
    },
  ],
});
