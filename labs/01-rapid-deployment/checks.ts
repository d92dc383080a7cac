// Lab 01 · Rapid application deployment — the checks. They run against your services/ on a throwaway platform.
//
// What they ask for, and why each is hard to fake:
//  - /health must be a real route (any 2xx), and an unknown path on the same service must answer 404, so a catch-all
//    "200 for everything" does not pass;
//  - /ready must answer 2xx while serving, and must stop doing so while the instance drains (seen from outside);
//  - the healthcheck in compose.yaml is run against a stand-in server: it must ask /health, pass on 200, fail on 500;
//  - a second deployment gets an APP_VERSION picked at random each run: /info and the X-Version header of every
//    answer must report it, so a version written in the code shows;
//  - graceful stop is tried on two services, each with a request in flight whose duration is random per run, and
//    judged from outside: the request completes, the instance stops taking new work at once, and it exits by itself
//    soon after its last answer — so no fixed delay can pass both.
import { brief, defineChecks, describeAnswer as describe, fail, forEach, type CheckContext, type ComposeDocument, type EnvironmentHandle } from '../../platform/src/labs/check-api.js';
import { cleanExit, describeExit, describeObservation, settle, stopDrill, type DrillOptions, type DrillResult } from './drill.js';
import { probeProblem } from './liveness.js';

const SERVICES = ['catalog', 'payment', 'orders', 'notifier', 'web'];
/** A route every service had before the lab, answering 200: X-Version must be on ordinary answers too. */
const ORDINARY: Record<string, string> = { catalog: '/products', payment: '/payments', orders: '/orders', notifier: '/notifications', web: '/' };

const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));
/** "Soon after its last answer": a service that closes idle connections and exits is gone well within this. */
const EXIT_WITHIN_MS = 2000;

/**
 * The values of one run, picked afresh each time the lab's environments start (a module is loaded once by
 * "tall watch" and by the self-test, which run the lab many times).
 */
function pick() {
  /**
   * The two services' requests in flight differ by more than EXIT_WITHIN_MS plus a margin, in a random direction, so a
   * fixed delay between SIGTERM and exit cannot both outlast one request and end soon after the other.
   */
  const short = between(1000, 1600);
  const long = short + EXIT_WITHIN_MS + 1200 + between(0, 500);
  const [ordersSlowMs, paymentSlowMs] = Math.random() < 0.5 ? [short, long] : [long, short];
  return {
    /** A version no code can know in advance (and no service can tell from the look of it that a check is running). */
    relabel: `${between(2, 9)}.${between(0, 40)}.${between(0, 99)}`,
    /** How long a payment takes in the second deployment (an ordinary setting of the shop). */
    paymentLatencyMs: between(300, 800),
    ordersSlowMs,
    paymentSlowMs,
    notifierSlowMs: between(1200, 2500),
  };
}
let run = pick();

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
const is2xx = (status: number) => status >= 200 && status < 300;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** "200 ×12, 503" */
function tally(values: string[]): string {
  if (values.length === 0) return 'nothing (no probe got through)';
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, n]) => (n > 1 ? `${value} ×${n}` : value)).join(', ');
}

function deployment(ctx: CheckContext, why: string): EnvironmentHandle {
  const deploy = ctx.environment('deploy');
  if (!deploy.started) fail(`${why} did not start: ${deploy.failure?.reason ?? '?'}\n${deploy.failure?.logTail.slice(-8).map((line) => `  | ${line}`).join('\n') ?? ''}`);
  return deploy;
}

/** After a drill the instance should be gone and restarted; one that never exited is killed, so later checks find the service as it was. */
async function restore(ctx: CheckContext, env: EnvironmentHandle, drill: DrillResult): Promise<void> {
  if (!drill.exit) await env.tall(['kill', drill.instance.id]);
  const within = ctx.runtime === 'docker' ? 90_000 : 30_000;
  if (!(await settle(ctx, env, drill.instance.service, within))) ctx.note(`${drill.instance.service} was not ready again ${within / 1000} s after the drill`);
}

/** How long after SIGTERM an instance may still say "ready" (the signal takes a moment to be handled on a busy machine). */
const READY_GRACE_MS = 1000;

/**
 * Did the instance, draining, answer a GET /ready sent on a new connection a second or more after SIGTERM with a
 * 2xx/3xx? Probes that got no answer in time on a busy machine say nothing either way.
 */
function saidReady(drill: DrillResult): boolean {
  return drill.freshReady.some((observation) => observation.sentAfterMs >= READY_GRACE_MS && /^[23]\d\d$/.test(observation.what));
}

/** What the drill saw while the instance drained: a problem with its in-flight request, or undefined. */
function inFlightProblem(drill: DrillResult, what: string): string | undefined {
  const id = drill.instance.id;
  if (!drill.taken) return `${id}: ${drill.answerProblem}`;
  if (!drill.answer) {
    return `${id} got SIGTERM with ${what} in flight, and the request died: ${drill.answerProblem}. Expected: stop taking new connections, finish the requests in flight, then exit.`;
  }
  if (!is2xx(drill.answer.status)) {
    return `${id} got SIGTERM with ${what} in flight; it answered ${drill.answer.status} ${brief(drill.answer.body, 100)} instead of completing it`;
  }
  return undefined;
}

export default defineChecks({
  environments: {
    // A second deployment of the same services and configuration: a new version label, and payments that take a while.
    // Its name on the platform is neutral (the engine picks one), like any deployment's.
    deploy: {
      config: 'default',
      compose(document) {
        run = pick();
        for (const service of SERVICES) environmentOf(document, service).APP_VERSION = run.relabel;
        environmentOf(document, 'payment').PAYMENT_LATENCY_MS = String(run.paymentLatencyMs);
      },
    },
  },
  checks: [
    {
      name: 'health-endpoints',
      title: 'every service answers GET /health with a 2xx (liveness), and an unknown path with 404',
      points: 2,
      timeout: '15s',
      hints: [
        'Try it: curl -i http://127.0.0.1:8080/catalog/health — today every service answers 404.',
        'Add a route to each service: app.get(\'/health\', (_req, res) => { res.json({ status: \'ok\' }); }) (204 without a body is fine too). Liveness means "the process answers": keep it that simple — and a route, not a catch-all: other paths must still answer 404.',
      ],
      async run(ctx) {
        const unknown = `/${Math.random().toString(36).slice(2, 10)}`;
        await eachService(async (service) => {
          const answer = await ctx.http.get(`/${service}/health`);
          if (!is2xx(answer.status)) return `GET /${service}/health answered ${describe(answer)}; expected a 2xx (200 or 204)`;
          // 404 — or another 4xx when something stands in front of the routes (a later lab puts a key check before payment's).
          const other = await ctx.http.get(`/${service}${unknown}`);
          if (other.status < 400 || other.status >= 500) {
            return `GET /${service}${unknown}, a path ${service} does not have, answered ${describe(other)}; expected 404. /health must be a route of its own, not an answer to every path`;
          }
          return undefined;
        });
        return `/health answers 2xx on every service, and ${unknown} answers 404`;
      },
    },
    {
      name: 'readiness-endpoints',
      title: 'every service answers GET /ready with a 2xx when it can take traffic, and stops once told to stop (readiness)',
      points: 1,
      timeout: '60s',
      allowRouterFaults: true,
      hints: [
        'Readiness is a separate question from liveness: "may the router send me requests now?" Add GET /ready to each service.',
        'Answer 200 normally and 503 from the moment the service gets SIGTERM (keep a "draining" flag), so the router stops sending it new requests before it goes. The check stops notifier while a notification is still arriving and asks /ready on that same connection and on new ones.',
      ],
      async run(ctx) {
        await eachService(async (service) => {
          const answer = await ctx.http.get(`/${service}/ready`);
          return is2xx(answer.status) ? undefined : `GET /${service}/ready answered ${describe(answer)}; expected a 2xx (200)`;
        });
        // The other side: told to stop with a request in flight, it no longer says it is ready.
        const deploy = deployment(ctx, 'the second deployment (where an instance is stopped)');
        const drill = await stopDrill(ctx, deploy, {
          service: 'notifier',
          request: { method: 'POST', path: '/notifications', body: { orderId: `o-${Math.random().toString(36).slice(2, 10)}`, productId: 'tall-mug', quantity: 1 } },
          slowMs: run.notifierSlowMs,
          workMs: 10_000,
          pipelineReady: true,
          exitWaitMs: 3000,
        });
        await restore(ctx, deploy, drill);
        const id = drill.instance.id;
        const died = inFlightProblem(drill, 'a notification');
        if (died) fail(`${died}\n(Readiness can only be seen on an instance that drains: it must stay up while it finishes what it has.)`);
        if (drill.pipelined !== 'no answer' && drill.pipelined && drill.pipelined.status < 400) {
          fail(`${id} was draining (SIGTERM, a request still in flight) and answered GET /ready with ${drill.pipelined.status}: it still says "send me traffic". Expected 503 from the moment it gets SIGTERM.`);
        }
        if (!drill.stoppedTakingWork && saidReady(drill)) {
          fail(`${id} was draining (SIGTERM, a request still in flight), yet GET /ready on a new connection answered ${tally(drill.freshReady.map((observation) => observation.what))} until the request finished. Expected 503 (or no new connections at all).`);
        }
        const pipelined = drill.pipelined === 'no answer' || !drill.pipelined ? 'closed the connection before answering /ready' : `answered /ready ${drill.pipelined.status} on the same connection`;
        const fresh = drill.stoppedTakingWork ? `new connections ${describeObservation(drill.stoppedTakingWork)}` : 'no new connection got an answer in time (a busy machine)';
        return `${id}, draining: ${fresh}; it ${pipelined}`;
      },
    },
    {
      name: 'probes-declared',
      title: 'compose.yaml tells the platform how to probe each service: a healthcheck that asks /health, and x-tall.readiness',
      points: 2,
      timeout: '60s',
      hints: [
        'The platform only uses probes it is told about. In services/compose.yaml each service needs a "healthcheck:" (liveness) and "x-tall: readiness: /ready".',
        'Write the healthcheck once as an anchor (x-liveness: &liveness) and use "healthcheck: *liveness" in every service. The test that works in both runtimes:\n  ["CMD", "node", "-e", "fetch(\'http://127.0.0.1:\'+(process.env.PORT||3000)+\'/health\').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]\nIt must fail when /health does not answer 2xx: the check runs it against a stand-in that answers 200, then 500.',
      ],
      async run(ctx) {
        const services = ctx.compose();
        const verdicts = new Map<string, Promise<string | undefined>>();
        await eachService(async (name) => {
          const spec = services.find((service) => service.name === name);
          if (!spec) return `services/compose.yaml has no service "${name}"`;
          const problems: string[] = [];
          if (!spec.healthcheck) problems.push('no healthcheck (liveness probe)');
          else {
            // The same command (usually one anchor for every service) behaves the same: run each once.
            const key = JSON.stringify(spec.healthcheck.test);
            if (!verdicts.has(key)) verdicts.set(key, probeProblem(spec, ctx.abortSignal));
            const problem = await verdicts.get(key);
            if (problem) problems.push(problem);
          }
          if (!spec.tall.readiness) problems.push('no x-tall.readiness (readiness probe)');
          else if (spec.tall.readiness.path !== '/ready') problems.push(`x-tall.readiness ${spec.tall.readiness.path}, expected /ready`);
          return problems.length ? `in services/compose.yaml, ${name} has ${problems.join('; and ')}` : undefined;
        });
        // The platform uses them: every instance got ready through its readiness probe.
        const notReady = (await ctx.services()).filter((service) => service.ready < service.desired);
        if (notReady.length) fail(`with these probes, not every instance is ready: ${notReady.map((s) => `${s.name} ${s.ready}/${s.desired}`).join(', ')}`);
        return `${verdicts.size} healthcheck command${verdicts.size === 1 ? '' : 's'}: ask /health, pass on 200, fail on 500`;
      },
    },
    {
      name: 'info-endpoints',
      title: 'every service answers GET /info with its name and its APP_VERSION — in a deployment labelled with another version too',
      points: 2,
      timeout: '15s',
      hints: [
        'GET /info should answer JSON like {"service": "catalog", "version": "1.1.0", ...}.',
        'The version must not be a constant in the code: read process.env.APP_VERSION, and set APP_VERSION under each service\'s "environment:" in services/compose.yaml. The check also deploys your services with a version it picks at random, and /info must report that one.',
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
          return undefined;
        });
        const deploy = deployment(ctx, `the deployment labelled APP_VERSION=${run.relabel}`);
        await eachService(async (service) => {
          const answer = await deploy.http.get(`/${service}/info`);
          const info = answer.json as { service?: unknown; version?: unknown } | undefined;
          if (answer.status === 200 && info?.service === service && info.version === run.relabel) return undefined;
          return `deployed with APP_VERSION=${run.relabel}, GET /${service}/info answered ${describe(answer)}; expected "version": "${run.relabel}" — the version must come from APP_VERSION, not from the code`;
        });
        return `/info reports the declared version, and ${run.relabel} when deployed with it`;
      },
    },
    {
      name: 'version-from-environment',
      title: 'every answer of every service carries X-Version: its APP_VERSION — relabelled, no code change, no rebuild',
      points: 2,
      timeout: '20s',
      hints: [
        'The check deploys your services again with APP_VERSION set to a version your code cannot know, and looks at the X-Version header of /health, /ready, /info and an ordinary route (e.g. /catalog/products) of every service.',
        'Set the header once, for every answer: a middleware registered first, app.use((_req, res, next) => { res.set(\'X-Version\', version); next(); }), with version = process.env.APP_VERSION. Look for any version string left in the code.',
      ],
      async run(ctx) {
        const deploy = deployment(ctx, `the deployment labelled APP_VERSION=${run.relabel}`);
        await eachService(async (service) => {
          const paths = ['/health', '/ready', '/info', ORDINARY[service]!];
          const said = new Map<string, string[]>();
          for (const path of paths) {
            const answer = await deploy.http.get(`/${service}${path}`);
            const header = answer.headers['x-version'];
            if (header === run.relabel) continue;
            const what = header === undefined ? 'no X-Version header' : `X-Version: ${header}`;
            said.set(what, [...(said.get(what) ?? []), `${path} (${answer.status})`]);
          }
          if (said.size === 0) return undefined;
          // Said the same way on every path, the problem reads the same for every service (and is grouped).
          const wrong = [...said].map(([what, where]) => (where.length === paths.length ? `${what} on every answer` : `${what} on ${where.join(', ')}`));
          return `deployed with APP_VERSION=${run.relabel}, ${service} sends ${wrong.join('; ')} — expected X-Version: ${run.relabel} on every answer`;
        });
        return `X-Version: ${run.relabel} on /health, /ready, /info and an ordinary route of every service`;
      },
    },
    {
      name: 'graceful-shutdown',
      title: 'an instance told to stop (SIGTERM) takes no new work, finishes what is in flight, then exits by itself — orders and payment',
      points: 3,
      timeout: '90s',
      allowRouterFaults: true,
      hints: [
        'Try it: start the shop with a slow payment provider (PAYMENT_LATENCY_MS=3000 npx tall up), place an order (curl -X POST http://127.0.0.1:8080/orders/orders -H content-type:application/json -d \'{"productId":"tall-mug"}\') and while it waits, stop orders: kill -TERM <pid> (the pid is in "npx tall ps"). curl gets an error: the order died with the process — after the customer was charged.',
        'Handle SIGTERM: process.on(\'SIGTERM\', ...). Keep the server that app.listen(...) returns and call server.close(callback): it stops accepting new connections at once and calls back once the open ones are done. Exit in the callback. A fixed delay (setTimeout(exit, 3000)) is not a drain: the check\'s requests take a different, random time each run.',
        'Keep-alive connections (the router keeps them open) hold server.close() back after the last answer: call server.closeIdleConnections() every 100 ms while draining, and set a deadline (e.g. 8 s, below the platform\'s 10 s stop_grace_period) after which you exit anyway. Answer /ready with 503 while draining. Exit code 0 — or re-raise SIGTERM after draining — both count.',
      ],
      async run(ctx) {
        const deploy = deployment(ctx, 'the deployment with a slow payment provider');
        // From lab 02 on, payment wants its environment's key, as orders sends it; before that there is none.
        const key = deploy.compose().find((service) => service.name === 'payment')?.environment.PAYMENT_API_KEY;
        const drills: { service: string; what: string; options: DrillOptions }[] = [
          {
            service: 'payment',
            what: 'a payment',
            options: {
              service: 'payment',
              request: {
                method: 'POST',
                path: '/payments',
                body: { orderId: `o-${Math.random().toString(36).slice(2, 10)}`, amountCents: between(100, 9999) },
                headers: key ? { authorization: `Bearer ${key}` } : {},
              },
              slowMs: run.paymentSlowMs,
              workMs: run.paymentLatencyMs + 10_000,
              pipelineReady: false,
              exitWaitMs: EXIT_WITHIN_MS + 6000,
            },
          },
          {
            service: 'orders',
            what: 'an order',
            options: {
              service: 'orders',
              request: { method: 'POST', path: '/orders', body: { productId: 'tall-mug', quantity: between(1, 3) } },
              slowMs: run.ordersSlowMs,
              workMs: run.paymentLatencyMs + 10_000,
              pipelineReady: false,
              exitWaitMs: EXIT_WITHIN_MS + 6000,
            },
          },
        ];
        const problems: string[] = [];
        const seen: string[] = [];
        for (const { what, options } of drills) {
          const drill = await stopDrill(ctx, deploy, options);
          await restore(ctx, deploy, drill);
          const id = drill.instance.id;
          const died = inFlightProblem(drill, what);
          if (died) {
            problems.push(died);
            continue;
          }
          const took = drill.answer!.at - drill.signalAt;
          if (!drill.stoppedTakingWork && saidReady(drill)) {
            problems.push(`${id} got SIGTERM with ${what} in flight, and kept taking new work until it was done (${seconds(took)} later): GET /ready on a new connection to it answered ${tally(drill.freshReady.map((o) => o.what))}. Expected: refuse new connections (server.close) or answer /ready 503 at once.`);
            continue;
          }
          if (!drill.exit) {
            problems.push(`${id} finished ${what} (${drill.answer!.status}, ${seconds(took)} after SIGTERM) but was still running ${seconds(EXIT_WITHIN_MS + 6000)} after its last answer: a stopping service exits once its requests are done (idle keep-alive connections keep server.close() waiting: close them)`);
            continue;
          }
          const lag = drill.exit.at - drill.lastAnswerAt!;
          if (!cleanExit(drill.exit)) {
            problems.push(`${id} finished ${what}, then ${describeExit(drill.exit)} — expected exit code 0 (or its own SIGTERM re-raised after draining)`);
          } else if (lag > EXIT_WITHIN_MS) {
            problems.push(`${id} finished ${what} ${seconds(took)} after SIGTERM, but exited only ${seconds(lag)} after its last answer (expected within ${seconds(EXIT_WITHIN_MS)}): it waits for something other than its requests — a fixed delay, or idle keep-alive connections (call server.closeIdleConnections())`);
          } else {
            const fresh = drill.stoppedTakingWork ? `new connections ${describeObservation(drill.stoppedTakingWork)}` : 'no new connection got an answer in time (a busy machine)';
            seen.push(`${id}: ${what} completed ${seconds(took)} after SIGTERM (${drill.answer!.status}), ${fresh}, ${describeExit(drill.exit)} ${seconds(Math.max(0, lag))} after its last answer`);
          }
        }
        if (problems.length) fail(problems.join('\n'));
        return seen.join('; ');
      },
    },
  ],
});
