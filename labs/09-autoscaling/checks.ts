// Lab 09 · On-demand scaling: an autoscaling policy under generated load — the checks. They run against a throwaway
// platform started from your services/. Rules for checks a learner can trust: README.md, "Writing a lab".
import { defineChecks, fail, type CheckContext, type ComposeService, type LoadSummary } from '../../platform/src/labs/check-api.js';

/** The service the lab scales: the storefront's most read one. */
const SERVICE = 'catalog';
const PATH = '/catalog/products';
/** The most a check sends (requests a second): what a laptop in a workshop room takes without trouble. */
const MAX_RPS = 150;
/** The longest scale-down window the scale-in check waits for. */
const MAX_SCALE_DOWN_WINDOW_MS = 30_000;
/** The highest p95 target the check can push catalog above with a delay at the router (the router hedges after 1 s). */
const MAX_P95_TARGET_MS = 250;
/** How the autoscaler's events name each metric ("autoscale catalog: rps/instance 30 > 20 …"). */
const LABELS: Record<string, string> = { rps_per_instance: 'rps/instance', p95_ms: 'p95', cpu_percent: 'cpu/instance' };

type Policy = NonNullable<ComposeService['tall']['autoscale']>;

const between = (low: number, high: number) => low + Math.random() * (high - low);
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
const describePolicy = (policy: Policy) =>
  `min ${policy.min}, max ${policy.max}, target ${policy.metric} ${policy.target}, scale_up_window ${seconds(policy.scaleUpWindowMs)}, scale_down_window ${seconds(policy.scaleDownWindowMs)}`;

/** catalog's policy as the platform reads it (every spelling Compose allows, defaults filled in), or a failure saying what is there instead. */
function policyOf(ctx: CheckContext): Policy {
  const services = ctx.compose();
  const catalog = services.find((service) => service.name === SERVICE);
  if (!catalog) fail(`compose.yaml has no service "${SERVICE}"; expected the shop's catalog service`);
  if (catalog.tall.autoscale) return catalog.tall.autoscale;
  const elsewhere = services.filter((service) => service.tall.autoscale).map((service) => service.name);
  const fixed = catalog.replicas > 1 ? ` catalog has a fixed count (deploy.replicas: ${catalog.replicas}): the platform never changes it, whatever the load.` : '';
  fail(
    `expected an autoscaling policy on catalog (x-tall.autoscale under services.catalog in compose.yaml); saw none.${fixed}` +
      (elsewhere.length ? ` There is one on ${elsewhere.join(', ')}: the lab's load goes to ${PATH}, so the policy belongs to catalog.` : '') +
      ' Add e.g. x-tall: { autoscale: { min: 2, max: 4, target: { rps_per_instance: 20 }, scale_down_window: 15s } } to catalog.',
  );
}

/** What policyOf() returns, or the problems that make it one the lab's load cannot prove (the autoscale-policy check's verdict). */
function problemsOf(policy: Policy): string[] {
  const problems: string[] = [];
  if (policy.max < 2 || policy.max <= policy.min) problems.push(`max is ${policy.max} with min ${policy.min}: catalog could never scale out; expected max above min, and at least 2`);
  if (policy.max > 10) problems.push(`max is ${policy.max}: more catalog instances than a laptop runs well; expected at most 10`);
  if (policy.min > 3) problems.push(`min is ${policy.min}: an idle catalog keeps ${policy.min} instances; expected 1 to 3`);
  if (policy.metric === 'cpu_percent') {
    problems.push('the metric is cpu_percent: how much CPU a request costs depends on the machine, so no load the check picks is surely above your target. Use one the router measures: target: { rps_per_instance: … } or { p95_ms: … }');
  } else if (policy.metric === 'rps_per_instance') {
    const needed = Math.ceil(policy.target * policy.min * 1.5);
    if (needed > MAX_RPS) problems.push(`target rps_per_instance ${policy.target} × min ${policy.min} instance(s): scaling out would take more than ${needed} requests a second, and the check sends at most ${MAX_RPS}; expected target × min at most ${Math.floor(MAX_RPS / 1.5)}`);
  } else if (policy.metric === 'p95_ms' && policy.target > MAX_P95_TARGET_MS) {
    problems.push(`target p95_ms ${policy.target}: the check slows catalog to about 2–3 × the target, and above ${MAX_P95_TARGET_MS} ms that runs into the router's hedging (1 s); expected at most ${MAX_P95_TARGET_MS}`);
  }
  return problems;
}

interface AutoscaleStatus {
  metric: string;
  target: number;
  current: number | null;
  desired: number;
  min: number;
  max: number;
  lastChange?: string;
}
interface PsService {
  name: string;
  desired: number;
  ready: number;
  autoscale?: AutoscaleStatus;
}
interface PlatformEvent {
  time: string;
  type: string;
  service?: string;
  message: string;
}

async function catalogNow(ctx: CheckContext): Promise<PsService> {
  const ps = await ctx.tallJson<{ services: PsService[] }>(['ps']);
  const found = ps.services.find((service) => service.name === SERVICE);
  if (!found) fail(`"tall ps --json" lists no service ${SERVICE}`);
  return found;
}

/** The autoscaler's changes to catalog since `since`: `autoscaled` events "… → from → to", with the metric they name. */
async function changesSince(ctx: CheckContext, since: number): Promise<{ event: PlatformEvent; from: number; to: number }[]> {
  const events = await ctx.tallJson<PlatformEvent[]>(['events', SERVICE]);
  return events.flatMap((event) => {
    if (event.type !== 'autoscaled' || Date.parse(event.time) < since) return [];
    const counts = /→ (\d+) → (\d+)/.exec(event.message);
    return counts ? [{ event, from: Number(counts[1]), to: Number(counts[2]) }] : [];
  });
}

/** Sends load in short rounds until `done()` says so or `forMs` is over: every round's summary, so errors are all counted. */
async function loadUntil(ctx: CheckContext, rps: number, forMs: number, connections: number, done: () => Promise<boolean>): Promise<{ rounds: LoadSummary[]; reached: boolean }> {
  const until = Date.now() + forMs;
  const rounds: LoadSummary[] = [];
  while (Date.now() < until) {
    const round = ctx.load(PATH, { rps, durationMs: 4000, connections });
    // Look while it runs, as you would with tall ps in a second terminal.
    let reached = false;
    for (let i = 0; i < 3 && !reached; i++) {
      await ctx.sleep(1200);
      reached = await done();
    }
    rounds.push(await round);
    if (reached || (await done())) return { rounds, reached: true };
  }
  return { rounds, reached: false };
}

function totals(rounds: LoadSummary[]) {
  const byStatus: Record<string, number> = {};
  for (const round of rounds) for (const [status, count] of Object.entries(round.byStatus)) byStatus[status] = (byStatus[status] ?? 0) + count;
  return {
    requests: rounds.reduce((sum, round) => sum + round.requests, 0),
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
    connectionErrors: rounds.reduce((sum, round) => sum + round.connectionErrors, 0),
    timeouts: rounds.reduce((sum, round) => sum + round.timeouts, 0),
    byStatus,
  };
}

function noErrors(what: string, rounds: LoadSummary[]): string {
  const sum = totals(rounds);
  if (sum.errors > 0) {
    const statuses = Object.entries(sum.byStatus).filter(([status]) => Number(status) >= 400).map(([status, count]) => `${count} × ${status}`);
    fail(
      `${what}: ${sum.errors} of ${sum.requests} requests to ${PATH} failed (${[...statuses, sum.connectionErrors ? `${sum.connectionErrors} connection errors` : '', sum.timeouts ? `${sum.timeouts} timeouts` : ''].filter(Boolean).join(', ')}); ` +
        'expected none: a new instance gets traffic only once /ready says so, and one that goes away drains first (readiness 503 while it finishes what it serves).',
    );
  }
  return `${sum.requests} requests, 0 errors`;
}

export default defineChecks({
  checks: [
    {
      name: 'autoscale-policy',
      title: 'catalog has an autoscaling policy (x-tall.autoscale): a metric the router measures, a target, min and max',
      points: 2,
      timeout: '15s',
      hints: [
        'npx tall config shows how the platform reads compose.yaml: does catalog have an autoscale: block? A fixed deploy.replicas is a count the platform keeps, not one it chooses.',
        'Under services.catalog.x-tall (beside bind and the <<: merge): autoscale: with min, max and one target. README.md, "Autoscaling", has the fields.',
        'For example: autoscale: { min: 2, max: 4, target: { rps_per_instance: 20 }, scale_up_window: 0s, scale_down_window: 15s }',
      ],
      async run(ctx) {
        const policy = policyOf(ctx);
        const problems = problemsOf(policy);
        if (problems.length) fail(`catalog's policy (${describePolicy(policy)}):\n${problems.join('\n')}`);
        return `catalog autoscaled: ${describePolicy(policy)}`;
      },
    },
    {
      name: 'scales-out-under-load',
      title: 'under generated load above the target, catalog scales out (≥ 2 ready instances) and the events say why',
      points: 3,
      timeout: '120s',
      hints: [
        'Try it: npx tall load /catalog/products --rps 60 --for 40s, and in a second terminal npx tall events -f catalog and npx tall ps.',
        'The autoscaler wants ceil(instances × current / target) instances. Under 60 requests a second, target rps_per_instance 20 asks for 3. It never goes above max: max must be at least 2.',
        'No autoscaled event at all: the policy is not on catalog, or not read (npx tall config shows it under catalog). deploy.replicas alone never scales: the count stays what you wrote.',
      ],
      async run(ctx) {
        const policy = policyOf(ctx);
        const problems = problemsOf(policy);
        if (problems.length) fail(`catalog's policy cannot be proved under load (see autoscale-policy): ${problems[0]}`);
        const label = LABELS[policy.metric]!;
        // A load nobody can guess, surely above the target for min instances (at least 2 instances wanted).
        let rps: number;
        let slowdown = '';
        const forMs = (ctx.runtime === 'docker' ? 150 : 60) * 1000;
        if (policy.metric === 'rps_per_instance') {
          rps = Math.min(MAX_RPS, Math.max(Math.ceil(policy.target * policy.min * 1.5), Math.round(policy.target * policy.min * between(2, 3))));
        } else {
          // p95: slow every request into catalog at the router (as tall chaos latency does) to 2–3 × the target.
          rps = Math.round(between(20, 40));
          const delay = Math.round(policy.target * between(2, 3));
          const chaos = await ctx.tall(['chaos', 'latency', SERVICE, `${delay}ms`, '--for', `${Math.ceil(forMs / 1000) + 30}s`]);
          if (chaos.code !== 0) fail(`could not slow catalog down for the p95 policy: tall chaos latency answered ${chaos.stderr || chaos.stdout}`);
          slowdown = `, each request delayed ${delay} ms at the router`;
        }
        ctx.note(`load: ${rps} req/s on ${PATH}${slowdown}`);
        const start = Date.now() - 1000;
        let seen = { ready: 0, desired: 0 };
        const scaledOut = async () => {
          const now = await catalogNow(ctx);
          seen = { ready: now.ready, desired: now.autoscale?.desired ?? now.desired };
          if (now.ready < 2 || now.ready <= policy.min) return false;
          return (await changesSince(ctx, start)).some((change) => change.to > change.from && change.event.message.includes(label));
        };
        let run: Awaited<ReturnType<typeof loadUntil>>;
        try {
          run = await loadUntil(ctx, rps, forMs, Math.min(100, Math.max(20, Math.ceil(rps / 2))), scaledOut);
        } finally {
          if (slowdown) await ctx.tall(['chaos', 'stop', SERVICE]);
        }
        const changes = await changesSince(ctx, start);
        if (!run.reached) {
          const why = changes.length ? `its events: ${changes.map((change) => change.event.message).join(' | ')}` : 'no autoscaled event for catalog at all';
          fail(
            `${rps} requests a second to ${PATH}${slowdown} for ${seconds(forMs)} (target ${policy.metric} ${policy.target}, min ${policy.min}): expected catalog to scale out to 2 or more ready instances, with an autoscaled event naming ${label}; ` +
              `saw ${seen.ready} ready (desired ${seen.desired}), ${why}. Check the policy is on catalog and its max is above min (npx tall ps shows the autoscaler's line).`,
          );
        }
        const errors = noErrors(`while catalog scaled out under ${rps} req/s`, run.rounds);
        const out = changes.filter((change) => change.to > change.from).map((change) => change.event.message);
        return `${rps} req/s${slowdown}: catalog ${seen.ready} ready; ${out.join(' | ')}; ${errors}`;
      },
    },
    {
      name: 'scales-back-in',
      title: 'after the load, catalog scales back in to min (a scale_down_window of at most 30 s), with no request failing',
      points: 3,
      timeout: '150s',
      hints: [
        'After npx tall load ends, watch npx tall events -f catalog: the autoscaler says when its scale-down window holds the count, and when it scales in.',
        'HPA waits 5 minutes before scaling down; the kit defaults to 30 s and the check waits for at most 30 s of it: set scale_down_window: 15s (or anything up to 30s) in catalog\'s autoscale.',
        'Scaling in drains an instance first: it leaves the router\'s pool and finishes what it serves. If requests fail, /ready must answer 503 as soon as SIGTERM arrives (lab 01), and the server must close only after.',
      ],
      async run(ctx) {
        const policy = policyOf(ctx);
        if (policy.scaleDownWindowMs > MAX_SCALE_DOWN_WINDOW_MS) {
          fail(`catalog's scale_down_window is ${seconds(policy.scaleDownWindowMs)}: the check waits at most ${seconds(MAX_SCALE_DOWN_WINDOW_MS)} of quiet before catalog must scale in. Set x-tall.autoscale.scale_down_window to 30s or less (e.g. 15s).`);
        }
        const before = await catalogNow(ctx);
        if (before.ready <= policy.min) fail(`catalog has ${before.ready} ready instance(s), its min (${policy.min}): it did not scale out under load (see scales-out-under-load), so there is nothing to scale in`);
        const start = Date.now() - 1000;
        // A trickle of requests well below the target (rps policies): scale-in happens with traffic, as in real life.
        // A p95 policy gets none: the trickle's own latency could be above a low target.
        const trickle = policy.metric === 'rps_per_instance' ? Math.max(1, Math.floor(policy.target * policy.min * between(0.2, 0.4))) : 0;
        const waitMs = policy.scaleDownWindowMs + 75_000;
        let seen = { ready: before.ready, desired: before.desired };
        const scaledIn = async () => {
          const now = await catalogNow(ctx);
          seen = { ready: now.ready, desired: now.autoscale?.desired ?? now.desired };
          if (now.ready !== policy.min || seen.desired !== policy.min) return false;
          return (await changesSince(ctx, start)).some((change) => change.to < change.from && change.to === policy.min);
        };
        let rounds: LoadSummary[] = [];
        let reached: boolean;
        if (trickle > 0) ({ rounds, reached } = await loadUntil(ctx, trickle, waitMs, 5, scaledIn));
        else reached = await ctx.waitFor('catalog to scale back in to min', async () => (await scaledIn()) || (await ctx.sleep(1000), false), waitMs).then(() => true, () => false);
        const changes = await changesSince(ctx, start);
        if (!reached) {
          fail(
            `after the load${trickle ? ` (then ${trickle} req/s, below the target)` : ''}: expected catalog back at min ${policy.min} ready instance(s) within ${seconds(waitMs)}, with an autoscaled event; ` +
              `saw ${seen.ready} ready (desired ${seen.desired}); events: ${changes.map((change) => change.event.message).join(' | ') || 'none'}. The policy's scale_down_window is ${seconds(policy.scaleDownWindowMs)}.`,
          );
        }
        const result = trickle ? noErrors(`while catalog scaled in (${trickle} req/s)`, rounds) : 'no load during scale-in (p95 policy)';
        return `catalog back at ${policy.min}: ${changes.filter((change) => change.to < change.from).map((change) => change.event.message).join(' | ')}; ${result}`;
      },
    },
  ],
});
