// Lab 12 · Continuous delivery: rolling and blue-green deploys, rollback — the checks. They run against a throwaway
// platform started from your services/. Rules for checks a learner can trust: README.md, "Writing a lab".
//
// The checks ship new versions themselves, under load: a second copy of catalog and web runs from a copy of services/
// of its own (a writable environment: your folder is never written); a check changes a service's APP_VERSION there — a
// label picked at random — and runs `tall deploy`, as you would after changing the code.
import { randomBytes, randomInt } from 'node:crypto';
import { defineChecks, describeAnswer, fail, type CheckContext, type ComposeDocument, type EnvironmentHandle, type InstanceInfo, type LoadSummary, type TallRun } from '../../platform/src/labs/check-api.js';

/** The environment the checks deploy to: the shop from its own copy of services/. */
const SHOP = 'shop';
const CATALOG_PATH = '/catalog/products';
const WEB_PATH = '/web/';
/** Load during each change: well under what two catalog instances serve, and under the lab-09 policy's target. */
const CATALOG_RPS = 16;
const WEB_RPS = 10;
/**
 * The broken version 3: your catalog, but with its database unreachable — as a wrong setting in a release would leave
 * it. Node loads this one line before your code, so it works whichever file reads DATABASE_URL.
 */
const UNREACHABLE_DATABASE = "--import=data:text/javascript,process.env.DATABASE_URL='postgres://catalog:wrong@127.0.0.1:1/catalog';process.env.VCAP_SERVICES='{}'";

/** A version label nobody can guess: picked anew for every deploy. */
const label = (major: number) => `${major}.${randomInt(10, 100)}.${randomInt(100, 1000)}`;

interface DeployOutcome {
  service: string;
  version: number;
  attempted: number;
  strategy: 'rolling' | 'blue-green';
  outcome: 'succeeded' | 'rolled back' | 'paused' | 'failed' | 'running';
  reason?: string;
  instances: { id: string; version: number; standby: boolean }[];
}
interface VersionRecord {
  version: number;
  strategy: string;
  outcome: string;
  reason?: string;
  active: boolean;
}
interface AccessLine {
  kind: 'access' | 'log';
  time: string;
  entry: { route?: string; instance?: string; status?: number };
}
interface LogLine {
  time: string;
  source: string;
  line: string;
}

/** Sets (or with undefined, removes) variables of one service in the compose file, map or list form alike. */
function setVariables(document: ComposeDocument, service: string, variables: Record<string, string | undefined>): void {
  const spec = document.services[service];
  if (!spec) fail(`compose.yaml has no service "${service}"`);
  const names = Object.keys(variables);
  const given = Object.entries(variables).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (Array.isArray(spec.environment)) {
    spec.environment = [...spec.environment.filter((line) => !names.includes(String(line).split('=')[0]!)), ...given.map(([name, value]) => `${name}=${value}`)];
  } else {
    const environment = { ...(spec.environment ?? {}) };
    for (const name of names) delete environment[name];
    spec.environment = { ...environment, ...Object.fromEntries(given) };
  }
}

/** The instances of a service that take requests now: running, ready, in the pool. */
const serving = (instances: InstanceInfo[]) => instances.filter((instance) => instance.state === 'running' && instance.ready && !instance.standby);

interface Span {
  id: string;
  version: number;
  from: number;
  to: number;
}

interface Sample {
  status: number;
  version?: string;
  instance?: string;
}

interface UnderLoad {
  run: TallRun;
  outcome?: DeployOutcome;
  rounds: LoadSummary[];
  /** the fewest instances that took requests at any moment of the change */
  fewest: number;
  /** every instance seen during the change: when it ran which version (an index is used again by a later instance) */
  spans: Span[];
  /** answers asked for one after the other during the change, in order */
  samples: Sample[];
  /** what marks the load's requests in the router's access lines (x-request-id) */
  requestId: string;
  /** when the change began (ISO time) */
  since: string;
}

/** Runs `tall <args>` (a deploy or a rollback) while load goes to `path`, watching the instances and sampling answers. */
async function underLoad(shop: EnvironmentHandle, sleep: (ms: number) => Promise<void>, service: string, args: string[], path: string, rps: number): Promise<UnderLoad> {
  const requestId = `load-${randomBytes(6).toString('hex')}`;
  const since = new Date().toISOString();
  let done = false;
  const changing = shop.tall([...args, '--json']).finally(() => (done = true));
  // Out of time, the check's sleep throws: the loops just end (the check's own verdict says it ran out of time).
  const pause = (ms: number) => sleep(ms).then(() => !done, () => false);
  const spans: Span[] = [];
  let fewest = Number.POSITIVE_INFINITY;
  const watching = (async () => {
    do {
      // A state that cannot be read this moment is no sample (not "no instance").
      const instances = await shop.instances(service).catch(() => undefined);
      if (!instances) continue;
      const now = Date.now();
      for (const instance of instances) {
        const span = spans.find((candidate) => candidate.id === instance.id && candidate.version === instance.version && candidate.to >= now - 2000);
        if (span) span.to = now;
        else spans.push({ id: instance.id, version: instance.version, from: now, to: now });
      }
      fewest = Math.min(fewest, serving(instances).length);
    } while (await pause(100));
  })();
  const samples: Sample[] = [];
  const sampling = (async () => {
    do {
      const answer = await shop.http.get(path, { timeoutMs: 10_000 }).catch(() => undefined);
      if (done && !answer) break;
      samples.push(answer ? { status: answer.status, version: answer.headers['x-version'], instance: answer.instance } : { status: 0 });
    } while (await pause(50));
  })();
  const rounds: LoadSummary[] = [];
  while (!done) rounds.push(await shop.load(path, { rps, durationMs: 2000, headers: { 'x-request-id': requestId } }));
  const run = await changing;
  await Promise.all([watching, sampling]);
  let outcome: DeployOutcome | undefined;
  try {
    outcome = JSON.parse(run.stdout) as DeployOutcome;
  } catch {
    outcome = undefined;
  }
  return { run, outcome, rounds, fewest, spans, samples, requestId, since };
}

/** Fails unless every request of the load was answered with a success, and none needed the router to repair it. */
async function noFailedRequests(shop: EnvironmentHandle, what: string, path: string, change: UnderLoad): Promise<string> {
  const requests = change.rounds.reduce((sum, round) => sum + round.requests, 0);
  const errors = change.rounds.reduce((sum, round) => sum + round.errors, 0);
  const byStatus: Record<string, number> = {};
  for (const round of change.rounds) for (const [status, count] of Object.entries(round.byStatus)) if (Number(status) >= 400) byStatus[status] = (byStatus[status] ?? 0) + count;
  const lost = change.rounds.reduce((sum, round) => sum + round.connectionErrors + round.timeouts, 0);
  const failedSamples = change.samples.filter((sample) => sample.status === 0 || sample.status >= 400).length;
  if (errors > 0 || lost > 0 || failedSamples > 0) {
    const statuses = Object.entries(byStatus).map(([status, count]) => `${count} × ${status}`);
    fail(
      `${what}: ${errors + failedSamples} of ${requests + change.samples.length} requests to ${path} failed (${[...statuses, lost ? `${lost} without an answer` : ''].filter(Boolean).join(', ') || 'errors'}); ` +
        'expected none: a new instance may take requests only once it is ready, and the old one must still serve until then.',
    );
  }
  const repairs = await routerRepairs(shop, change);
  if (repairs.length > 0) {
    fail(
      `${what}: the router had to repair ${repairs.length} request(s), e.g. "${repairs[0]}": an instance went away with requests in flight or refused them. ` +
        'Expected none: an instance leaves the pool and finishes what it serves before it stops (lab 01\'s drain), and gets requests only once ready.',
    );
  }
  return `${requests + change.samples.length} requests, none failed`;
}

/** The outcome `tall deploy --json` printed, or a failure saying what it printed instead. */
function outcomeOf(what: string, change: UnderLoad): DeployOutcome {
  if (change.outcome) return change.outcome;
  const said = `${change.run.stderr}\n${change.run.stdout}`.trim().split('\n').slice(-6).join(' / ');
  fail(`"tall ${change.run.args.join(' ')}" (${what}) did not finish with an outcome (exit ${change.run.code}): ${said}`);
}

const labels = (samples: Sample[]) => [...new Set(samples.map((sample) => sample.version ?? '(no x-version header)'))];

/**
 * Eight answers in a row of GET `path`, all 200 and with one X-Version label (`expected`, when given). Asked again for up
 * to 30 s while an answer fails or the labels differ (a busy machine, a route settling after a change), then a failure
 * saying what was seen last.
 */
async function settled(ctx: CheckContext, shop: EnvironmentHandle, path: string, expected: string | undefined, when: string): Promise<{ label: string; samples: Sample[] }> {
  let seen = 'no answer yet';
  const probe = async () => {
    const samples: Sample[] = [];
    for (let i = 0; i < 8; i++) {
      const answer = await shop.http.get(path, { timeoutMs: 10_000 }).catch((error: Error) => void (seen = error.message));
      if (!answer) return false;
      if (answer.status !== 200) {
        seen = `GET ${path} answered ${describeAnswer(answer)}`;
        return false;
      }
      samples.push({ status: answer.status, version: answer.headers['x-version'], instance: answer.instance });
    }
    const found = labels(samples);
    seen = `its answers carried ${found.join(', ')}`;
    return found.length === 1 && !found[0]!.startsWith('(') && (!expected || found[0] === expected) ? { label: found[0]!, samples } : false;
  };
  try {
    return await ctx.waitFor(`every answer of GET ${path} to say ${expected ?? 'one version'}`, probe, 30_000);
  } catch {
    fail(`${when}, expected every answer of GET ${path} to be 200 and carry ${expected ?? 'one version'} (the X-Version header, from APP_VERSION, lab 01); for 30 s ${seen}`);
  }
}

/** The service's history as `tall deploy --history` keeps it. */
async function history(shop: EnvironmentHandle, service: string): Promise<VersionRecord[]> {
  return shop.tallJson<VersionRecord[]>(['deploy', '--history', service]);
}

/** The load's requests on `route` that an instance of `version` answered (the router's access lines, x-request-id). */
async function answeredByVersion(shop: EnvironmentHandle, sleep: (ms: number) => Promise<void>, change: UnderLoad, route: string, version: number): Promise<string[]> {
  await sleep(500); // access lines are written together, at most 100 ms apart
  const run = await shop.tall(['logs', '--request', change.requestId, '--json']);
  const spans = change.spans.filter((span) => span.version === version);
  const answered: string[] = [];
  for (const line of run.stdout.split('\n')) {
    if (!line.trim()) continue;
    const parsed = JSON.parse(line) as AccessLine;
    const { instance } = parsed.entry;
    if (parsed.kind !== 'access' || parsed.entry.route !== route || !instance) continue;
    // The answer ended at `time`: within a second of when the watch saw that instance run this version.
    const at = Date.parse(parsed.time);
    if (spans.some((span) => span.id === instance && at >= span.from - 1000 && at <= span.to + 1000)) answered.push(instance);
  }
  return answered;
}

/**
 * Requests the router had to repair while the change ran: retried elsewhere after a refused or reset connection, failed,
 * timed out, or found no instance. (A hedge — a second copy of a slow request — is left out: the machine's business
 * while images build, not the deploy's.)
 */
async function routerRepairs(shop: EnvironmentHandle, change: UnderLoad): Promise<string[]> {
  const run = await shop.tall(['logs', 'router', '--json', '-n', '2000']);
  return run.stdout.split('\n').flatMap((line) => {
    if (!line.trim()) return [];
    const parsed = JSON.parse(line) as LogLine;
    return parsed.time >= change.since && /^(retry|failed|timeout|no-instance) /.test(parsed.line) ? [parsed.line] : [];
  });
}

/** The checks' own copy of catalog and web, or a failure saying why it did not start. */
function shopOf(ctx: CheckContext): EnvironmentHandle {
  const shop = ctx.environment(SHOP);
  if (!shop.started) {
    const failure = shop.failure;
    fail(`the copy of catalog and web these checks deploy to did not start: ${failure?.reason ?? 'no reason given'}${failure?.logTail.length ? ` — last lines: ${failure.logTail.slice(-3).join(' / ')}` : ''}`);
  }
  return shop;
}

export default defineChecks({
  environments: { [SHOP]: { writable: true, only: ['catalog', 'web'] } },
  checks: [
    {
      name: 'rolling-deploy-under-load',
      title: 'a new catalog version rolls out under load: no request fails, capacity never drops, every answer after it is the new version',
      points: 4,
      timeout: '120s',
      // A deploy stops instances itself: the router's own view is judged below (noFailedRequests), without the hedges of a busy machine.
      allowRouterFaults: true,
      hints: [
        'Deploy catalog yourself while "npx tall load /catalog/products --rps 16 --for 60s" runs in a second terminal, and watch "npx tall ps": how many catalog instances are ready at each moment?',
        'A rolling deploy replaces instances one at a time while the others serve: catalog needs at least two (deploy.replicas and the autoscale min), and the new one must be ready before the old one goes.',
        'Under services.catalog.deploy: replicas: 2 and update_config: { parallelism: 1, order: start-first, failure_action: rollback, monitor: 10s }; and min: 2 in x-tall.autoscale.',
      ],
      async run(ctx) {
        const shop = shopOf(ctx);
        const before = serving(await ctx.waitFor('catalog to be ready', async () => (serving(await shop.instances('catalog')).length > 0 ? shop.instances('catalog') : undefined), 60_000));
        if (before.length < 2) {
          fail(`catalog runs ${before.length} ready instance (${before.map((instance) => instance.id).join(', ')}); expected at least 2, so that one can be replaced while another serves (deploy.replicas, and min in x-tall.autoscale)`);
        }
        const v2 = label(2);
        shop.editCompose((document) => setVariables(document, 'catalog', { APP_VERSION: v2 }));
        const change = await underLoad(shop, ctx.sleep, 'catalog', ['deploy', 'catalog'], CATALOG_PATH, CATALOG_RPS);
        const outcome = outcomeOf('catalog v2', change);
        if (outcome.outcome !== 'succeeded') fail(`deploying catalog ${v2} (a new APP_VERSION, nothing else) ended "${outcome.outcome}": ${outcome.reason ?? 'no reason given'}; expected it to succeed`);
        const load = await noFailedRequests(shop, `during the rolling deploy of catalog ${v2}`, CATALOG_PATH, change);
        // At least two at every moment (not "as many as before": lab 09's policy may scale a third one in meanwhile).
        if (change.fewest < 2) {
          fail(
            `during the deploy only ${change.fewest} catalog instance(s) took requests at one moment (${before.length} before): an old instance went before its replacement was ready. ` +
              'Expected at least two at every moment: update_config.order: start-first starts the new instance and waits until it is ready before the old one is drained.',
          );
        }
        if (outcome.strategy !== 'rolling') fail(`catalog was deployed ${outcome.strategy}; this lab rolls catalog out (leave x-tall.deploy unset or rolling) and switches web blue-green`);
        await settled(ctx, shop, CATALOG_PATH, v2, 'after the deploy');
        const record = (await history(shop, 'catalog')).find((entry) => entry.version === outcome.version);
        if (!record || record.outcome !== 'succeeded' || !record.active) fail(`"tall deploy --history catalog" should show v${outcome.version} succeeded and active; saw ${JSON.stringify(record ?? null)}`);
        return `catalog v${outcome.version} (${v2}) rolled out: ${load}; at least ${change.fewest} instances served throughout; every answer after it says ${v2}`;
      },
    },
    {
      name: 'broken-version-rolled-back',
      title: 'a catalog version that cannot reach its database never takes a request: the platform rolls it back by itself, and no request fails',
      points: 4,
      timeout: '150s',
      allowRouterFaults: true,
      hints: [
        'Watch "npx tall events catalog -f" while the check runs (or deploy a broken catalog yourself): does the new instance get into the pool? What does the deploy end with?',
        'The platform sends traffic to an instance once its readiness says so (x-tall.readiness: /ready): catalog may say ready only when it can serve — its migrations ran, its database answers. A catalog that cannot is either not ready or not running.',
        'update_config.failure_action: rollback (Swarm\'s own default is pause, which leaves the broken version in place); and a /ready that answers 503 until catalog can serve — the kit\'s catalog listens only after its migrations ran.',
      ],
      async run(ctx) {
        const shop = shopOf(ctx);
        await ctx.waitFor('catalog to be ready', async () => serving(await shop.instances('catalog')).length > 0, 60_000);
        const good = (await settled(ctx, shop, CATALOG_PATH, undefined, 'before the deploy')).label;
        const v3 = label(3);
        const previous = shop.compose().find((service) => service.name === 'catalog')?.environment.NODE_OPTIONS;
        shop.editCompose((document) => setVariables(document, 'catalog', { APP_VERSION: v3, NODE_OPTIONS: [previous, UNREACHABLE_DATABASE].filter(Boolean).join(' ') }));
        let change: UnderLoad;
        try {
          change = await underLoad(shop, ctx.sleep, 'catalog', ['deploy', 'catalog'], CATALOG_PATH, CATALOG_RPS);
        } finally {
          // The copy says again what runs: the good version.
          shop.editCompose((document) => setVariables(document, 'catalog', { APP_VERSION: good, NODE_OPTIONS: previous }));
        }
        const outcome = outcomeOf(`catalog ${v3}, which cannot reach its database`, change);
        const servedByV3 = await answeredByVersion(shop, ctx.sleep, change, 'catalog', outcome.attempted);
        const v3Answers = servedByV3.length + change.samples.filter((sample) => sample.version === v3).length;
        if (v3Answers > 0) {
          fail(
            `the broken catalog ${v3} (v${outcome.attempted}, its database unreachable) answered ${v3Answers} request(s) (${[...new Set(servedByV3)].join(', ') || 'sampled answers'}): it got into the router's pool. ` +
              'Expected it never to: catalog\'s readiness (/ready) must say 200 only once catalog can serve — migrations applied, database reachable.',
          );
        }
        if (outcome.outcome === 'succeeded') fail(`the deploy of the broken catalog ${v3} succeeded: nothing stopped it. Expected the platform to see it never got ready and roll it back`);
        if (outcome.outcome !== 'rolled back') {
          fail(`the deploy of the broken catalog ${v3} ended "${outcome.outcome}" (${outcome.reason ?? 'no reason'}); expected "rolled back": update_config.failure_action: rollback has the platform undo a failed version by itself`);
        }
        const load = await noFailedRequests(shop, `while the broken catalog ${v3} was deployed and rolled back`, CATALOG_PATH, change);
        await settled(ctx, shop, CATALOG_PATH, good, 'after the rollback');
        const record = (await history(shop, 'catalog')).find((entry) => entry.version === outcome.attempted);
        if (!record || record.outcome !== 'rolled back') fail(`"tall deploy --history catalog" should show v${outcome.attempted} rolled back; saw ${JSON.stringify(record ?? null)}`);
        return `catalog v${outcome.attempted} (${v3}) rolled back by the platform (${record.reason ?? 'no reason given'}): ${load}, none answered by v${outcome.attempted}; catalog says ${good} again`;
      },
    },
    {
      name: 'web-blue-green',
      title: 'web switches to a new version blue-green under load (all at once, no failed request), and `tall rollback web` switches back to the very same instances',
      points: 4,
      timeout: '120s',
      allowRouterFaults: true,
      hints: [
        'Deploy web yourself and run "npx tall ps" meanwhile: a blue-green deploy starts a full second set of web beside the first, then switches the route at once.',
        'The strategy is a platform setting of the service, under x-tall (README.md, "Deploys"): the running set (blue) stays up outside the pool, so `tall rollback web` is a switch, not a start.',
        'Under services.web.x-tall (beside <<: *tall-service): deploy: blue-green',
      ],
      async run(ctx) {
        const shop = shopOf(ctx);
        await ctx.waitFor('web to be ready', async () => serving(await shop.instances('web')).length > 0, 60_000);
        const blue = (await settled(ctx, shop, WEB_PATH, undefined, 'before the deploy')).label;
        const blueIds = serving(await shop.instances('web')).map((instance) => instance.id).sort();
        const green = label(2);
        shop.editCompose((document) => setVariables(document, 'web', { APP_VERSION: green }));
        const deploy = await underLoad(shop, ctx.sleep, 'web', ['deploy', 'web'], WEB_PATH, WEB_RPS);
        const outcome = outcomeOf(`web ${green}`, deploy);
        if (outcome.strategy !== 'blue-green') fail(`web was deployed ${outcome.strategy}; expected blue-green (x-tall.deploy: blue-green under services.web), so that the whole new set takes over at once`);
        if (outcome.outcome !== 'succeeded') fail(`deploying web ${green} (a new APP_VERSION, nothing else) ended "${outcome.outcome}": ${outcome.reason ?? 'no reason given'}; expected it to succeed`);
        const deployLoad = await noFailedRequests(shop, `during the blue-green deploy of web ${green}`, WEB_PATH, deploy);
        const firstGreen = deploy.samples.findIndex((sample) => sample.version === green);
        const backToBlue = firstGreen < 0 ? -1 : deploy.samples.slice(firstGreen).findIndex((sample) => sample.version === blue);
        if (backToBlue >= 0) fail(`during the deploy, an answer from ${blue} came after the first from ${green}: both versions served side by side; expected one switch, all at once`);
        await settled(ctx, shop, WEB_PATH, green, 'after the deploy');
        const kept = outcome.instances.filter((instance) => instance.standby).map((instance) => instance.id).sort();
        if (blueIds.some((id) => !kept.includes(id))) fail(`after the switch, the previous set (${blueIds.join(', ')}) should keep running outside the pool for an instant rollback; kept: ${kept.join(', ') || 'none'}`);

        const rollback = await underLoad(shop, ctx.sleep, 'web', ['rollback', 'web'], WEB_PATH, WEB_RPS);
        const back = outcomeOf('tall rollback web', rollback);
        if (back.outcome !== 'rolled back') fail(`"tall rollback web" ended "${back.outcome}": ${back.reason ?? 'no reason given'}; expected web back on ${blue}`);
        const rollbackLoad = await noFailedRequests(shop, 'during "tall rollback web"', WEB_PATH, rollback);
        const answers = (await settled(ctx, shop, WEB_PATH, blue, 'after "tall rollback web"')).samples;
        const answering = [...new Set(answers.map((answer) => answer.instance ?? '?'))].sort();
        if (answering.some((id) => !blueIds.includes(id))) fail(`after the rollback, web was answered by ${answering.join(', ')}; expected the very instances that served before the deploy (${blueIds.join(', ')}), switched back, not new ones started`);
        return `web ${green} switched in at once (${deployLoad}); tall rollback switched back to ${blueIds.join(', ')} (${rollbackLoad})`;
      },
    },
  ],
});
