// Lab 03 · Routing and load balancing — the checks. They run against a throwaway copy of your services/.
import { brief, defineChecks, describeAnswer as describe, fail, type ComposeDocument, type HttpAnswer } from '../../platform/src/labs/check-api.js';

/** How long a payment takes in the load-balancing environment: the "slow endpoint". */
const SLOW_PAYMENT_MS = 2500;
const FAST_REQUESTS = 9;

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

export default defineChecks({
  environments: {
    // payment alone, three instances, a slow provider: where the balancing strategy shows
    lb: {
      config: 'default',
      only: ['payment'],
      compose(document) {
        const payment = document.services.payment;
        if (!payment) return;
        payment.deploy = { ...((payment.deploy as Record<string, unknown> | undefined) ?? {}), replicas: 3 };
        setEnvironment(document, 'payment', { PAYMENT_LATENCY_MS: String(SLOW_PAYMENT_MS) });
      },
    },
  },
  checks: [
    {
      name: 'scale-out',
      title: '"tall scale catalog 3" gives three ready instances, and the router spreads requests over all of them',
      points: 1,
      timeout: '30s',
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
      title: 'with three catalog instances, a product looks the same whichever instance answers (no per-instance state)',
      points: 3,
      timeout: '30s',
      hints: [
        'With catalog scaled to 3, ask for one product several times: curl -s http://127.0.0.1:8080/catalog/products/tall-mug — and watch "views". Which instance answered? (curl -si shows x-instance.)',
        'Each instance keeps its own views counter in memory, so the number depends on who answers, and a restart loses it. State that must be shared does not belong in an instance\'s memory.',
        'Either remove the counter from catalog (it returns with a real database in lab 04), or keep one count for all instances outside them. Sticky sessions would only hide the problem until an instance dies.',
      ],
      async run(ctx) {
        const ready = (await ctx.services()).find((service) => service.name === 'catalog')?.ready ?? 0;
        if (ready < 3) await ctx.tallJson(['scale', 'catalog', '3']);
        const answers: HttpAnswer[] = [];
        for (let i = 0; i < 12; i++) answers.push(await ctx.http.get('/catalog/products/tall-mug'));
        const bad = answers.find((answer) => answer.status !== 200);
        if (bad) fail(`GET /catalog/products/tall-mug answered ${describe(bad)} (from ${bad.instance ?? '?'}); expected 200`);
        const bodies = answers.map((answer) => (answer.json ?? {}) as Record<string, unknown>);
        const views = bodies.map((body) => body.views);
        if (views.some((value) => value !== undefined)) {
          const steps = views.slice(1).map((value, i) => Number(value) - Number(views[i]));
          if (steps.some((step) => step !== 1)) {
            const byInstance = new Map<string, unknown[]>();
            answers.forEach((answer, i) => byInstance.set(answer.instance ?? '?', [...(byInstance.get(answer.instance ?? '?') ?? []), views[i]]));
            fail(`12 requests in a row for the same product got views ${views.join(', ')}: ${[...byInstance].map(([id, seen]) => `${id} said ${seen.join(', ')}`).join('; ')}. Each instance counts on its own, so the number depends on who answers (and resets when an instance restarts). Expected the same product whichever instance answers: one count for all, or none.`);
          }
        }
        const without = bodies.map(({ views: _ignored, ...rest }) => JSON.stringify(rest));
        const differing = without.findIndex((body) => body !== without[0]);
        if (differing > 0) fail(`the same product came back different from ${answers[0]!.instance} (${brief(without[0])}) and ${answers[differing]!.instance} (${brief(without[differing])})`);
        return `12 answers from ${show(count(answers.map((answer) => answer.instance)))} agree`;
      },
    },
    {
      name: 'callers-unchanged',
      title: 'orders keeps working with catalog scaled out: callers find it by route, not by instance',
      points: 1,
      timeout: '20s',
      hints: [
        'orders reaches the catalog through the router (CATALOG_URL = ${ROUTER_URL}/catalog), so scaling catalog needs no change in orders. If orders fails now, "npx tall logs orders" shows why.',
      ],
      async run(ctx) {
        for (let i = 0; i < 3; i++) {
          const order = await ctx.http.post('/orders/orders', { productId: 'pager-duck', quantity: 1 }, { timeoutMs: 10_000 });
          if (order.status !== 201) fail(`with catalog scaled to 3, POST /orders/orders answered ${describe(order)}; expected 201`);
        }
      },
    },
    {
      name: 'least-connection-for-slow-payments',
      title: 'payments are balanced by least-connection: new requests avoid an instance busy with a slow payment',
      points: 3,
      timeout: '15s',
      hints: [
        'See it: scale payment to 3 and make it slow (PAYMENT_LATENCY_MS=3000 npx tall up; npx tall scale payment 3). Start one payment, and while it runs send GET /payment/payments a few times: round-robin still sends every third request to the busy instance.',
        'The router can balance by least-connection instead: each new request goes to the instance with the fewest requests in flight. It is a routing setting, per service, in compose.yaml — under x-tall.',
        'Under payment\'s "x-tall:" in services/compose.yaml add "balance: least-connection", then "npx tall down && npx tall up". "npx tall up" lists each route with its balancing.',
      ],
      async run(ctx) {
        const lb = ctx.environment('lb');
        if (!lb.started) fail(`payment with 3 instances did not start: ${lb.failure?.reason ?? '?'}`);
        const key = lb.compose().find((service) => service.name === 'payment')?.environment.PAYMENT_API_KEY;
        const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
        const ready = (await lb.services()).find((service) => service.name === 'payment')?.ready ?? 0;
        if (ready < 3) fail(`payment has ${ready} of 3 instances ready`);
        const slow = lb.http.post('/payment/payments', { orderId: `slow-${Date.now()}`, amountCents: 4900 }, { headers, timeoutMs: SLOW_PAYMENT_MS + 5000 });
        await ctx.sleep(400);
        const fast: HttpAnswer[] = [];
        for (let i = 0; i < FAST_REQUESTS; i++) fast.push(await lb.http.get('/payment/payments', { headers }));
        const slowAnswer = await slow;
        if (slowAnswer.status !== 201) fail(`the slow payment answered ${describe(slowAnswer)}; expected 201`);
        const bad = fast.find((answer) => answer.status !== 200);
        if (bad) fail(`GET /payment/payments answered ${describe(bad)}; expected 200`);
        const busy = slowAnswer.instance ?? '?';
        const toBusy = fast.filter((answer) => answer.instance === busy).length;
        const spread = show(count(fast.map((answer) => answer.instance)));
        if (toBusy > 1) {
          fail(`while ${busy} was busy with a ${SLOW_PAYMENT_MS / 1000}-second payment, the router still sent it ${toBusy} of ${FAST_REQUESTS} new requests (${spread}): it takes turns whatever each instance is doing (round-robin). Expected least-connection: new requests go to the instances with the fewest in flight.`);
        }
        return `busy ${busy} got ${toBusy} of ${FAST_REQUESTS} new requests (${spread})`;
      },
    },
  ],
});
