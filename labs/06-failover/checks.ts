// Lab 06 · Failover: liveness vs readiness, crash-restart backoff, chaos kill — the checks. They run against a throwaway
// platform started from your services/, and run their own chaos: they stop databases (tall service stop) and kill
// instances (tall chaos kill), then watch what the platform and your services do about it.
// Rules for checks a learner can trust: README.md, "Writing a lab".
import { defineChecks, describeAnswer, fail, type CheckContext, type InstanceInfo, type LoadSummary } from '../../platform/src/labs/check-api.js';

/** The shop's services that own a database (lab 04), and a read each serves from it. */
const BOUND = [
  { service: 'catalog', path: '/catalog/products' },
  { service: 'orders', path: '/orders/orders' },
];

interface PlatformEvent {
  time: string;
  type: string;
  service?: string;
  instance?: string;
  message: string;
}

const between = (low: number, high: number) => Math.round(low + Math.random() * (high - low));
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
const list = (items: string[]) => items.join(', ');

/** The data-service instances bound to `service` (x-tall.bind), as the platform reads the compose file. */
function databasesOf(ctx: CheckContext, service: string): string[] {
  const spec = ctx.compose().find((candidate) => candidate.name === service);
  if (!spec) fail(`compose.yaml has no service "${service}"; expected the shop's ${service} service`);
  const bound = spec.tall.bind ?? [];
  if (bound.length === 0) fail(`${service} has no database bound (x-tall.bind in compose.yaml), as lab 04 left it; expected ${service}-db bound to ${service}`);
  return bound;
}

async function instancesOf(ctx: CheckContext, service: string): Promise<InstanceInfo[]> {
  return (await ctx.instances(service)).filter((instance) => !instance.standby);
}

async function eventsSince(ctx: CheckContext, service: string, since: number): Promise<PlatformEvent[]> {
  return (await ctx.tallJson<PlatformEvent[]>(['events', service])).filter((event) => Date.parse(event.time) >= since);
}

/** Waits until every instance of each service is running and ready (the way a check finds the shop, and leaves it). */
async function allReady(ctx: CheckContext, services: string[], what: string, timeoutMs = 90_000): Promise<Map<string, InstanceInfo>> {
  let seen = '';
  try {
    return await ctx.waitFor(what, async () => {
      const all = new Map<string, InstanceInfo>();
      const notReady: string[] = [];
      for (const service of services) {
        const instances = await instancesOf(ctx, service);
        if (instances.length === 0) notReady.push(`${service}: no instance`);
        for (const instance of instances) {
          all.set(instance.id, instance);
          if (!instance.ready || instance.state !== 'running') notReady.push(`${instance.id} ${instance.state}${instance.ready ? '' : ', not ready'}`);
        }
      }
      seen = list(notReady);
      return notReady.length === 0 ? all : undefined;
    }, timeoutMs);
  } catch {
    fail(`expected ${what} within ${seconds(timeoutMs)}; still: ${seen}`);
  }
}

/** GET on one instance's own address (not through the router), as the platform's probes do. */
async function probe(ctx: CheckContext, instance: InstanceInfo, path: string): Promise<string | number> {
  try {
    const answer = await ctx.http.get(`http://${instance.address}${path}`, { timeoutMs: 3000, headers: { 'user-agent': 'tall-readiness-probe' } });
    return answer.status;
  } catch (error) {
    return `no answer (${(error as Error).message})`;
  }
}

const ok = (status: string | number) => typeof status === 'number' && status >= 200 && status < 300;

async function tallOrFail(ctx: CheckContext, args: string[]): Promise<void> {
  const run = await ctx.tall(args);
  if (run.code !== 0) fail(`the check could not run "tall ${args.join(' ')}": ${(run.stderr || run.stdout).trim()}`);
}

/** Sends load to each path in rounds of a few seconds while `during` runs, and one round after it: every answer counted. */
async function loadDuring(ctx: CheckContext, paths: string[], rps: number, during: () => Promise<void>): Promise<Map<string, LoadSummary[]>> {
  const rounds = new Map<string, LoadSummary[]>(paths.map((path) => [path, []]));
  let done = false;
  let after = 1;
  const loop = (async () => {
    while (!done || after-- > 0) {
      const summaries = await Promise.all(paths.map((path) => ctx.load(path, { rps, durationMs: 4000, connections: 10 })));
      summaries.forEach((summary, i) => rounds.get(paths[i]!)!.push(summary));
      if (ctx.abortSignal.aborted) return;
    }
  })();
  try {
    await during();
  } finally {
    done = true;
    await loop;
  }
  return rounds;
}

function describeErrors(rounds: LoadSummary[]): { requests: number; errors: number; what: string } {
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  let connectionErrors = 0;
  let timeouts = 0;
  for (const round of rounds) {
    requests += round.requests;
    errors += round.errors;
    connectionErrors += round.connectionErrors;
    timeouts += round.timeouts;
    for (const [status, count] of Object.entries(round.byStatus)) if (Number(status) >= 400) byStatus[status] = (byStatus[status] ?? 0) + count;
  }
  const parts = [...Object.entries(byStatus).map(([status, count]) => `${count} × ${status}`), connectionErrors ? `${connectionErrors} connection errors` : '', timeouts ? `${timeouts} timeouts` : ''];
  return { requests, errors, what: list(parts.filter(Boolean)) };
}

export default defineChecks({
  checks: [
    {
      name: 'readiness-reflects-dependencies',
      title: 'while its database is down, catalog and orders leave the route (/ready fails) but stay alive (/health 200, no restart); back after',
      points: 4,
      timeout: '200s',
      allowRouterFaults: true,
      hints: [
        'Try it: npx tall service stop catalog-db, then npx tall ps (READY column) and npx tall events -f catalog. Does anything change? Then npx tall service start catalog-db.',
        'Readiness answers "may I get traffic?": without its database catalog can serve nothing, so /ready should answer 503 while a query fails — and 200 again once it works, so ask the database on each probe (or on a timer), not once at start. Liveness answers "should I be restarted?": a restart does not bring a database back, so /health (and the compose healthcheck) must not ask it.',
        'In lifecycle.ts, let /ready await a check the service passes in, e.g. lifecycle(app, "catalog", { dependencies: () => pool.query("SELECT 1") }), with a timeout shorter than the probe\'s (1 s), answering 503 when it throws or is late. Same for orders. Leave /health as it is, and the healthcheck on /health.',
      ],
      async run(ctx) {
        const services = BOUND.map((bound) => bound.service);
        const databases = [...new Set(services.flatMap((service) => databasesOf(ctx, service)))];
        const before = await allReady(ctx, services, 'every instance of catalog and orders ready before the outage');
        const healthcheck = ctx.compose().find((service) => service.name === 'catalog')?.healthcheck;
        // Longer than the liveness probe needs to give up on an instance (interval × retries), so a healthcheck that
        // asks the database would have restarted it by the end; the exact length differs each run.
        const livenessWindow = healthcheck ? healthcheck.intervalMs * (healthcheck.retries + 1) + healthcheck.timeoutMs : 0;
        const holdMs = Math.min(75_000, Math.max(12_000, livenessWindow + 5000)) + between(0, 5000);
        const stoppedAt = Date.now();
        ctx.note(`stopping ${list(databases)} for about ${seconds(holdMs)}`);
        try {
          for (const database of databases) await tallOrFail(ctx, ['service', 'stop', database]);
          // Out of the route: the platform's readiness probe must see every instance fail.
          let stillReady: InstanceInfo[] = [];
          try {
            await ctx.waitFor('every instance of catalog and orders out of the route', async () => {
              stillReady = [];
              for (const service of services) for (const instance of await instancesOf(ctx, service)) if (instance.ready) stillReady.push(instance);
              return stillReady.length === 0;
            }, 30_000);
          } catch {
            const answers = await Promise.all(stillReady.map(async (instance) => `${instance.id} (GET /ready → ${await probe(ctx, instance, '/ready')})`));
            fail(
              `${list(databases)} stopped 30 s ago, and the platform still sends traffic to ${list(answers)}: ` +
                'expected /ready to answer 503 while the instance cannot reach its database, so the router stops sending it requests it can only fail.',
            );
          }
          // Alive all along: asked directly, /health answers 2xx, and no instance is restarted.
          const until = stoppedAt + holdMs;
          while (Date.now() < until) {
            for (const service of services) {
              for (const instance of await instancesOf(ctx, service)) {
                const status = await probe(ctx, instance, '/health');
                if (!ok(status)) {
                  fail(
                    `${instance.id}: GET /health answered ${status} ${seconds(Date.now() - stoppedAt)} after its database was stopped; ` +
                      'expected 2xx: liveness says whether the process works, not whether its database does. A failing liveness probe gets the instance restarted, and a restart does not bring the database back — every instance would restart in a loop.',
                  );
                }
              }
            }
            await ctx.sleep(1000);
          }
          const restarted = (await eventsSince(ctx, 'catalog', stoppedAt)).concat(await eventsSince(ctx, 'orders', stoppedAt))
            .filter((event) => ['unhealthy', 'crashed', 'exited', 'restarting'].includes(event.type));
          if (restarted.length > 0) {
            fail(
              `while the databases were down, the platform restarted instances: ${list(restarted.slice(0, 3).map((event) => event.message))}; ` +
                'expected no restart: the liveness probe (the compose healthcheck) must not depend on the database — point it at /health, and keep /health free of database queries.',
            );
          }
        } finally {
          for (const database of databases) await ctx.tall(['service', 'start', database]);
        }
        // Back in the route once the database is back, without a restart.
        const after = await allReady(ctx, services, 'every instance of catalog and orders ready again after its database came back (its /ready answering 2xx once a query works)', 60_000);
        const changed = [...before.values()].filter((instance) => after.get(instance.id)?.restarts !== instance.restarts).map((instance) => instance.id);
        if (changed.length > 0) fail(`${list(changed)} restarted during the outage; expected every instance to live through it and only leave the route`);
        for (const { path } of BOUND) {
          const answer = await ctx.http.get(path);
          if (answer.status !== 200) fail(`after the outage GET ${path} answered ${describeAnswer(answer)}; expected 200`);
        }
        return `${list(databases)} down ${seconds(Date.now() - stoppedAt)}: ${before.size} instances left the route, stayed alive (/health 2xx, no restart) and came back ready`;
      },
    },
    {
      name: 'crash-loop-backoff',
      title: 'an instance that cannot start without its database exits non-zero; the platform retries with growing delays, and it comes back on its own',
      points: 2,
      timeout: '150s',
      allowRouterFaults: true,
      hints: [
        'Try it: npx tall service stop catalog-db, npx tall kill catalog/1, then npx tall events -f catalog: the restarts come at once, then after 1 s, 2 s, 4 s … Then npx tall service start catalog-db and watch catalog/1 come back by itself.',
        'An instance that cannot do its job at start (its migrations cannot reach the database) should say why and exit with a non-zero code: that is a crash, and the platform restarts crashes with backoff. Exit code 0 means "I am done", and a restart policy that gives up (max_attempts) leaves the instance down for good once the database is back.',
        'Keep catalog\'s start as lab 04 wrote it: migrate(...).then(listen, (error) => { console.error(...); process.exit(1); }). And no deploy.restart_policy with max_attempts (or restart: "no") on catalog.',
      ],
      async run(ctx) {
        const databases = databasesOf(ctx, 'catalog');
        await allReady(ctx, ['catalog'], 'every catalog instance ready before the drill');
        const since = Date.now();
        let victim = '';
        let delays: number[] = [];
        try {
          for (const database of databases) await tallOrFail(ctx, ['service', 'stop', database]);
          const killed = await ctx.tallJson<{ killed: string }>(['chaos', 'kill', 'catalog']);
          victim = killed.killed;
          ctx.note(`stopped ${list(databases)}, killed ${victim}`);
          // Crashes, each restarted after a longer wait than the one before (the platform's curve: 0, 0, 0, 1 s, 2 s …).
          let seen: PlatformEvent[] = [];
          try {
            await ctx.waitFor(`${victim} to crash again and again, restarted after growing delays`, async () => {
              seen = (await eventsSince(ctx, 'catalog', since)).filter((event) => event.instance === victim);
              delays = seen.filter((event) => event.type === 'restarting').map((event) => {
                const wait = / in ([\d.]+) s/.exec(event.message);
                return wait ? Number(wait[1]) : 0;
              });
              const waited = delays.filter((delay) => delay > 0);
              return waited.length >= 2 || seen.some((event) => event.type === 'stopped');
            }, 90_000);
          } catch {
            // fall through: what was seen is described below
          }
          const exits = seen.filter((event) => event.type === 'crashed' || event.type === 'exited').slice(1);
          const clean = exits.filter((event) => event.type === 'exited');
          if (exits.length === 0) {
            fail(`${victim} was killed while its database was down, and since then did not exit at all (events: ${list(seen.map((event) => event.type)) || 'none'}); expected it to fail to start — its migrations cannot reach the database — and exit with a non-zero code`);
          }
          if (clean.length > 0) {
            fail(`${victim} could not start without its database and exited with code 0 (${clean[0]!.message}); expected a non-zero exit code: 0 says "finished, all is well", and a restart policy such as on-failure would leave it down`);
          }
          const gaveUp = seen.find((event) => event.type === 'stopped');
          if (gaveUp) fail(`the platform gave up on ${victim}: ${gaveUp.message}; expected it to keep restarting a crashing instance (with growing delays) for as long as it takes — check catalog's restart / deploy.restart_policy`);
          const waited = delays.filter((delay) => delay > 0);
          if (waited.length < 2 || waited[1]! <= waited[0]!) fail(`expected ${victim} restarted after growing delays while its database was down; saw restarts after ${list(delays.map((delay) => `${delay} s`)) || 'none'}`);
        } finally {
          for (const database of databases) await ctx.tall(['service', 'start', database]);
        }
        // Once the database is back, the next restart succeeds: nobody has to do anything.
        await allReady(ctx, ['catalog'], `${victim} ready again on its own once its database was back (the next restart after the backoff)`, 90_000);
        const answer = await ctx.http.get('/catalog/products');
        if (answer.status !== 200) fail(`after the drill GET /catalog/products answered ${describeAnswer(answer)}; expected 200`);
        return `${victim} crashed while catalog-db was down, restarted after ${list(delays.map((delay) => `${delay} s`))}, and came back by itself`;
      },
    },
    {
      name: 'no-failed-request-under-chaos',
      title: 'instances of catalog and orders killed one after another under load: every request answered, every instance back',
      points: 4,
      timeout: '240s',
      allowRouterFaults: true,
      hints: [
        'Try it: npx tall load /catalog/products --rps 20 --for 40s in one terminal, npx tall chaos kill catalog --every 15s --for 30s in another. Any error in the load summary?',
        'A killed instance takes a moment to come back. With one instance, every request in that moment fails; with two, the router sends them to the other one (it retries a GET that failed before any answer on another instance).',
        'Run catalog and orders with at least 2 instances each in compose.yaml (deploy.replicas: 2, or scale: 2). The new instance must only be ready when it can serve (the /ready of readiness-reflects-dependencies).',
      ],
      async run(ctx) {
        const services = BOUND.map((bound) => bound.service);
        await allReady(ctx, services, 'every instance of catalog and orders ready before the chaos');
        const rps = between(12, 20);
        // Each service loses an instance 2 times, in an order nobody can guess; each kill waits until the last one is back.
        const kills = [...services, ...services].sort(() => Math.random() - 0.5);
        const since = Date.now();
        const killed: string[] = [];
        const rounds = await loadDuring(ctx, BOUND.map((bound) => bound.path), rps, async () => {
          await ctx.sleep(between(1000, 3000));
          for (const service of kills) {
            const before = new Map((await instancesOf(ctx, service)).map((instance) => [instance.id, instance.restarts]));
            const { killed: id } = await ctx.tallJson<{ killed: string }>(['chaos', 'kill', service]);
            killed.push(id);
            await ctx.waitFor(`${id} back and ready after it was killed`, async () => {
              const now = (await instancesOf(ctx, service)).find((instance) => instance.id === id);
              return now !== undefined && now.restarts > (before.get(id) ?? 0) && now.ready && now.state === 'running';
            }, 90_000);
            await ctx.sleep(between(500, 2500));
          }
        });
        ctx.note(`killed ${list(killed)} under ${rps} req/s on each of ${list(BOUND.map((bound) => bound.path))}`);
        // The platform's own record: each kill is a chaos event followed by a crash and a ready instance.
        const events = (await eventsSince(ctx, 'catalog', since)).concat(await eventsSince(ctx, 'orders', since));
        const missing = killed.filter((id) => !events.some((event) => event.type === 'crashed' && event.instance === id));
        if (missing.length > 0) fail(`the events record no crash of ${list(missing)} after the check killed it; expected each kill to be a crash the platform restarted`);
        const failures: string[] = [];
        let total = 0;
        for (const { service, path } of BOUND) {
          const sum = describeErrors(rounds.get(path)!);
          total += sum.requests;
          if (sum.errors > 0) {
            const count = (await instancesOf(ctx, service)).length;
            failures.push(`${sum.errors} of ${sum.requests} requests to ${path} failed (${sum.what})${count < 2 ? `: ${service} runs ${count} instance, so while it is killed nothing can answer` : ''}`);
          }
        }
        if (failures.length > 0) fail(`while ${list(killed)} were killed one after another: ${failures.join('; ')}; expected no failed request — at least 2 instances of each, and a new instance ready only when it can serve`);
        return `killed ${list(killed)} under load: ${total} requests, 0 failed; every instance came back`;
      },
    },
  ],
});
