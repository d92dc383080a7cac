// Lab 03 · Routing and load balancing — the checks. They run against a throwaway copy of your services/.
import { randomBytes } from 'node:crypto';
import { brief, defineChecks, describeAnswer as describe, fail, type CheckContext, type ComposeDocument, type EnvironmentHandle, type HttpAnswer } from '../../platform/src/labs/check-api.js';

/** How long a payment takes in the load-balancing deployment: the "slow endpoint". */
const SLOW_PAYMENT_MS = 6000;
/** Quick requests that must be answered while a slow payment runs, in all. */
const QUICK_REQUESTS = 9;
/** At most this many slow payments, one at a time, to get them answered. */
const ROUNDS = 4;
/** The key of the load-balancing deployment's payment: this run's own. */
const LB_KEY = `sk-${randomBytes(12).toString('hex')}`;

function setEnvironment(document: ComposeDocument, service: string, values: Record<string, string>): void {
  const spec = document.services[service];
  if (!spec) return;
  if (Array.isArray(spec.environment)) {
    spec.environment = [...spec.environment.filter((item) => !(String(item).split('=')[0]! in values)), ...Object.entries(values).map(([key, value]) => `${key}=${value}`)];
  } else {
    spec.environment = { ...(spec.environment ?? {}), ...values };
  }
}

function count(values: (string | undefined)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value ?? '(none)', (counts.get(value ?? '(none)') ?? 0) + 1);
  return counts;
}

const show = (counts: Map<string, number>) => [...counts].sort().map(([id, n]) => `${id} ×${n}`).join(', ');

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

interface Product {
  id: string;
  priceCents: number;
  [field: string]: unknown;
}

async function products(ctx: CheckContext): Promise<Product[]> {
  const answer = await ctx.http.get('/catalog/products');
  const list = answer.json as Product[] | undefined;
  if (answer.status !== 200 || !Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item?.id === 'string')) {
    fail(`GET /catalog/products answered ${describe(answer)}; expected 200 with the list of products`);
  }
  return list;
}

async function catalogAtThree(ctx: CheckContext): Promise<void> {
  const ready = (await ctx.services()).find((service) => service.name === 'catalog')?.ready ?? 0;
  if (ready >= 3) return;
  const scaled = await ctx.tallJson<{ ready: number }>(['scale', 'catalog', '3']);
  if (scaled.ready < 3) fail(`after "tall scale catalog 3", ${scaled.ready} of 3 catalog instances are ready`);
}

interface LogEntry {
  time: string;
  source: string;
  line: string;
}

/** Log lines of one source ("payment", "router") since `since`, as the platform keeps them. */
async function logSince(env: EnvironmentHandle, source: string, since: Date, lines = 200): Promise<LogEntry[]> {
  const run = await env.tall(['logs', source, '--json', '-n', String(lines)]);
  return run.stdout.split('\n').filter(Boolean).flatMap((text) => {
    try {
      const entry = JSON.parse(text) as LogEntry;
      return Date.parse(entry.time) >= since.getTime() ? [entry] : [];
    } catch {
      return [];
    }
  });
}

export default defineChecks({
  environments: {
    // payment alone, three instances, a slow provider and a key of this run's making: where the balancing strategy shows.
    // Hedging is off here, so a quick request is never also sent to a second instance when the machine is busy.
    lb: {
      config: 'default',
      only: ['payment'],
      variables: { PAYMENT_API_KEY: LB_KEY },
      compose(document) {
        const payment = document.services.payment;
        if (!payment) return;
        delete payment.scale;
        payment.deploy = { ...((payment.deploy as Record<string, unknown> | undefined) ?? {}), replicas: 3 };
        const tall = (payment['x-tall'] ?? {}) as Record<string, unknown>;
        payment['x-tall'] = { ...tall, timeouts: { ...((tall.timeouts as Record<string, unknown> | undefined) ?? {}), hedge_after: false } };
        setEnvironment(document, 'payment', { PAYMENT_LATENCY_MS: String(SLOW_PAYMENT_MS) });
      },
    },
  },
  checks: [
    {
      name: 'scale-out',
      title: '"tall scale catalog 3" gives three ready instances, and the router spreads requests over all of them',
      points: 1,
      timeout: '40s',
      hints: [
        'Try it: "npx tall scale catalog 3", then run curl -si http://127.0.0.1:8080/catalog/products | grep x-instance a few times.',
        'If an instance never gets ready, "npx tall ps" and "npx tall logs catalog" say why.',
      ],
      async run(ctx) {
        const scaled = await ctx.tallJson<{ to: number; ready: number }>(['scale', 'catalog', '3']);
        if (scaled.ready < 3) fail(`after "tall scale catalog 3", ${scaled.ready} of 3 instances are ready`);
        const answers: HttpAnswer[] = [];
        for (let i = 0; i < 9; i++) answers.push(await ctx.http.get('/catalog/products'));
        const bad = answers.find((answer) => answer.status !== 200);
        if (bad) fail(`GET /catalog/products answered ${describe(bad)} (from ${bad.instance ?? '?'}); expected 200 from every instance`);
        const seen = count(answers.map((answer) => answer.instance));
        if (seen.size < 3) fail(`9 requests were answered by ${show(seen)}; expected all three catalog instances to take turns`);
        return show(seen);
      },
    },
    {
      name: 'same-answer-everywhere',
      title: 'with three catalog instances, every product looks the same whichever instance answers (no per-instance state)',
      points: 3,
      timeout: '40s',
      hints: [
        'With catalog scaled to 3, ask for one product several times: curl -s http://127.0.0.1:8080/catalog/products/tall-mug — and watch "views". Which instance answered? (curl -si shows x-instance.)',
        'Each instance keeps its own views counter in memory, so the number depends on who answers, and a restart loses it. State that must be shared does not belong in an instance\'s memory. The check asks for every product, in an order of its own.',
        'Either remove the counter from catalog (a shared count needs a database: lab 04 gives the shop one), or keep one count for all instances outside them. Sticky sessions would only hide the problem until an instance dies.',
      ],
      async run(ctx) {
        await catalogAtThree(ctx);
        const list = await products(ctx);
        const instances = new Set<string>();
        const problems: string[] = [];
        // Every product, in an order of this run's making; each asked for three times in a row, so that with the
        // router taking turns, three different instances answer it.
        for (const product of shuffle(list)) {
          const answers: HttpAnswer[] = [];
          const by = new Set<string>();
          while (answers.length < 3 || (by.size < 2 && answers.length < 6)) {
            const answer = await ctx.http.get(`/catalog/products/${encodeURIComponent(product.id)}`);
            if (answer.status !== 200) fail(`GET /catalog/products/${product.id} answered ${describe(answer)} (from ${answer.instance ?? '?'}); expected 200`);
            answers.push(answer);
            by.add(answer.instance ?? '?');
            instances.add(answer.instance ?? '?');
          }
          const bodies = answers.map((answer) => (answer.json ?? {}) as Record<string, unknown>);
          const views = bodies.map((body) => body.views);
          if (views.some((value) => value !== undefined)) {
            const steps = views.slice(1).map((value, i) => Number(value) - Number(views[i]));
            if (steps.some((step) => step !== 1)) {
              problems.push(`${product.id}: ${answers.map((answer, i) => `${answer.instance ?? '?'} said views ${JSON.stringify(views[i])}`).join(', ')}`);
              continue;
            }
          }
          const without = bodies.map(({ views: _ignored, ...rest }) => JSON.stringify(rest));
          const differing = without.findIndex((body) => body !== without[0]);
          if (differing > 0) problems.push(`${product.id} came back different from ${answers[0]!.instance} (${brief(without[0])}) and ${answers[differing]!.instance} (${brief(without[differing])})`);
        }
        if (problems.length) {
          fail(`the same product, asked for several times in a row, came back different depending on the instance that answered:\n${problems.slice(0, 3).join('\n')}${problems.length > 3 ? `\n(and ${problems.length - 3} more products)` : ''}\n${problems.some((problem) => problem.includes('views')) ? 'Each instance counts views on its own, so the number depends on who answers (and resets when an instance restarts). ' : ''}Expected the same product whichever instance answers: one count for all, or none.`);
        }
        if (instances.size < 2) fail(`every product was answered by ${[...instances].join(', ')} alone; expected the three catalog instances to share the requests`);
        return `${list.length} products, each asked for at least 3 times, agree across ${[...instances].sort().join(', ')}`;
      },
    },
    {
      name: 'callers-unchanged',
      title: 'orders keeps working with catalog scaled out: callers find it by route, not by instance',
      points: 1,
      timeout: '40s',
      hints: [
        'orders reaches the catalog through the router (CATALOG_URL = ${ROUTER_URL}/catalog), so scaling catalog needs no change in orders. If orders fails now, "npx tall logs orders" shows why.',
      ],
      async run(ctx) {
        await catalogAtThree(ctx);
        const prices = new Map((await products(ctx)).map((product) => [product.id, product.priceCents]));
        const placed: string[] = [];
        for (const productId of shuffle([...prices.keys()]).slice(0, 3)) {
          const quantity = 1 + Math.floor(Math.random() * 4);
          const order = await ctx.http.post('/orders/orders', { productId, quantity }, { timeoutMs: 15_000 });
          if (order.status !== 201) fail(`with catalog scaled to 3, POST /orders/orders for ${quantity} × ${productId} answered ${describe(order)}; expected 201`);
          const amount = (order.json as { amountCents?: unknown } | undefined)?.amountCents;
          const expected = prices.get(productId)! * quantity;
          if (amount !== expected) fail(`an order for ${quantity} × ${productId} came back with amountCents ${JSON.stringify(amount)}; expected ${expected} (${quantity} × the catalog's price, ${prices.get(productId)})`);
          placed.push(`${quantity} × ${productId}`);
        }
        return `placed ${placed.join(', ')}`;
      },
    },
    {
      name: 'least-connection-for-slow-payments',
      title: 'payments are balanced by least-connection: new requests avoid an instance busy with a slow payment',
      points: 3,
      timeout: '90s',
      hints: [
        'See it: scale payment to 3 and make it slow (PAYMENT_LATENCY_MS=5000 npx tall up; npx tall scale payment 3). Start one payment, and while it runs send GET /payment/payments a few times: round-robin still sends every third request to the busy instance.',
        'The router can balance by least-connection instead: each new request goes to the instance with the fewest requests in flight. It is a routing setting, per service, in compose.yaml — under x-tall.',
        'Under payment\'s "x-tall:" in services/compose.yaml add "balance: least-connection", then "npx tall down && npx tall up". "npx tall up" lists each route with its balancing.',
      ],
      async run(ctx) {
        const started = new Date();
        const lb = ctx.environment('lb');
        if (!lb.started) fail(`payment with 3 instances did not start: ${lb.failure?.reason ?? '?'}`);
        const headers = { authorization: `Bearer ${LB_KEY}` };
        await ctx.waitFor('3 ready payment instances', async () => ((await lb.services()).find((service) => service.name === 'payment')?.ready ?? 0) >= 3, 30_000);

        const quick: HttpAnswer[] = [];
        const busyOnes: string[] = [];
        let toBusy = 0;
        for (let round = 0; round < ROUNDS && quick.length < QUICK_REQUESTS; round++) {
          const sent = new Date();
          let pending = true;
          const slow = lb.http.post('/payment/payments', { orderId: `order-${randomBytes(4).toString('hex')}`, amountCents: 4900 }, { headers, timeoutMs: SLOW_PAYMENT_MS + 30_000 });
          void slow.then(() => (pending = false), () => (pending = false));
          // Which instance took it: the one that logged a POST /payments since we sent it (it answers only when done).
          const busy = await ctx.waitFor('an instance of payment to log the slow payment (POST /payments)', async () => {
            const posts = (await logSince(lb, 'payment', sent, 50)).filter((entry) => /POST/.test(entry.line) && /\/payments/.test(entry.line));
            return posts[0]?.source;
          }, 20_000);
          busyOnes.push(busy);
          // Quick requests, each sent while the slow payment surely still runs (it cannot end before SLOW_PAYMENT_MS
          // after we sent it). Where a request went is decided when it is sent, so one the busy instance held until its
          // payment was done counts too.
          while (pending && quick.length < QUICK_REQUESTS && Date.now() - sent.getTime() < SLOW_PAYMENT_MS - 1000) {
            const answer = await lb.http.get('/payment/payments', { headers, timeoutMs: SLOW_PAYMENT_MS + 10_000 });
            if (answer.status !== 200) fail(`while a slow payment ran, GET /payment/payments answered ${describe(answer)} (from ${answer.instance ?? '?'}); expected 200`);
            quick.push(answer);
            if (answer.instance === busy) toBusy++;
          }
          const slowAnswer = await slow;
          if (slowAnswer.status !== 201) fail(`the slow payment answered ${describe(slowAnswer)}; expected 201`);
          if (slowAnswer.instance && slowAnswer.instance !== busy) fail(`the slow payment was answered by ${slowAnswer.instance}, but ${busy} logged it`);
        }
        if (quick.length === 0) fail(`no quick request could be answered while a ${SLOW_PAYMENT_MS / 1000}-second payment ran (${ROUNDS} tries): the machine is too busy to tell`);
        const spread = show(count(quick.map((answer) => answer.instance)));
        if (toBusy > 0) {
          const busyText = busyOnes.length === 1 ? busyOnes[0] : `one slow payment at a time: ${busyOnes.join(', then ')}`;
          fail(`while an instance was busy with a ${SLOW_PAYMENT_MS / 1000}-second payment (${busyText}), the router still sent it ${toBusy} of ${quick.length} new requests (${spread}): it takes turns whatever each instance is doing (round-robin). Expected least-connection: new requests go to the instances with the fewest in flight.`);
        }

        // Avoided for the right reason: not because the busy instance broke requests (the router then retries them
        // elsewhere) or left the pool (not ready, ejected), but because the router counted what it had in flight.
        const faults = (await logSince(lb, 'router', started)).filter((entry) => /^(retry|hedge|failed|timeout|no-instance) payment\b/.test(entry.line));
        if (faults.length) {
          fail(`the quick requests avoided the busy instance, but only because requests failed and the router sent them elsewhere:\n${faults.slice(0, 5).map((entry) => `  [router] ${entry.line}`).join('\n')}\nExpected every request answered by the instance it was sent to, with the router choosing by least-connection.`);
        }
        const events = (await lb.tallJson<{ time: string; type: string; message: string }[]>(['events', 'payment'])).filter((event) => Date.parse(event.time) >= started.getTime() && ['not-ready', 'ejected', 'crashed', 'unhealthy', 'restarting', 'exited'].includes(event.type));
        if (events.length) {
          fail(`the quick requests avoided the busy instance, but because payment instances left the pool while it ran:\n${events.slice(0, 5).map((event) => `  ${event.type}: ${event.message}`).join('\n')}\nExpected every instance to stay ready, with the router choosing by least-connection.`);
        }
        return `busy ${[...new Set(busyOnes)].join(', ')} got none of ${quick.length} new requests (${spread})`;
      },
    },
  ],
});
