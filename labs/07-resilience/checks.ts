// Lab 07 · Resilience between services: timeout, retry, circuit breaker, fallback, idempotency — the checks. They run
// against a throwaway platform started from your services/. Rules for checks a learner can trust: README.md, "Writing a lab".
//
// How they see what orders does: faults are injected at the router (tall chaos latency / abort / lose-answer) into the
// calls orders makes, which go through the router like any other request; nothing tells a service they are injected.
// Orders are placed one at a time, and the router's own request counters (its Prometheus metrics, per service and
// status) are read before and after each: the difference is what that one order made orders call. Charges are counted
// at payment itself (GET /payments on every payment instance). The router never retries a POST and never hedges or
// retries an aborted or delayed request, and a check fails if it had to step in: what the checks see is orders' own doing.
import { defineChecks, describeAnswer, fail, type CheckContext, type HttpAnswer } from '../../platform/src/labs/check-api.js';

const ORDERS = '/orders/orders';
/** How long orders may take to answer while payment hangs, retries included (README: "within 10 seconds"). */
const ANSWER_BOUND_MS = 10_000;
/** How long an open circuit may wait before it lets a trial call through (README: "30 seconds at most"). */
const MAX_HALF_OPEN_MS = 30_000;
/** An open circuit: this many orders in a row answered without a call into payment (placed ~0.1 s apart: a circuit
 * that stays open 2 s, the README's least, covers them). */
const QUIET_ORDERS = 3;
/** The services orders calls. */
const DEPENDENCIES = ['catalog', 'payment', 'notifier'] as const;
type Dependency = (typeof DEPENDENCIES)[number];

const between = (low: number, high: number) => Math.round(low + Math.random() * (high - low));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Calls into one service during one order, by status as the router counted them (444: an answer lost on purpose). */
type Calls = Record<string, number>;

interface Placed {
  /** orders' answer, or undefined when it gave none within the time allowed */
  answer?: HttpAnswer;
  /** why there was no answer */
  noAnswer?: string;
  ms: number;
  calls: Record<Dependency, Calls>;
}

const total = (calls: Calls) => Object.values(calls).reduce((sum, count) => sum + count, 0);
const describeCalls = (calls: Calls) => (total(calls) === 0 ? 'none' : Object.entries(calls).map(([status, count]) => `${count} × ${status}`).join(', '));
const describePlaced = (placed: Placed) =>
  `${placed.answer ? describeAnswer(placed.answer, 80) : `no answer (${placed.noAnswer})`} in ${seconds(placed.ms)}; calls into payment: ${describeCalls(placed.calls.payment)}, catalog: ${describeCalls(placed.calls.catalog)}, notifier: ${describeCalls(placed.calls.notifier)}`;

/** The router's request counters (tall_http_requests_total), by service and status. */
async function routerCounts(ctx: CheckContext, shop: Shop): Promise<Map<string, Calls>> {
  const page = await ctx.http.get(shop.metricsUrl);
  const counts = new Map<string, Calls>();
  for (const line of page.text.split('\n')) {
    const match = /^tall_http_requests_total\{([^}]*)\} ([\d.e+]+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1], label[2]]));
    const calls = counts.get(labels.service!) ?? {};
    calls[labels.code!] = (calls[labels.code!] ?? 0) + Number(match[2]);
    counts.set(labels.service!, calls);
  }
  return counts;
}

function difference(after: Calls | undefined, before: Calls | undefined): Calls {
  const calls: Calls = {};
  for (const [status, count] of Object.entries(after ?? {})) {
    const more = count - (before?.[status] ?? 0);
    if (more > 0) calls[status] = more;
  }
  return calls;
}

interface Shop {
  productId: string;
  /** payment's API key, as compose.yaml gives it to payment: to read its charges */
  paymentKey: string;
  /** the platform's Prometheus endpoint, with the router's counters */
  metricsUrl: string;
}

async function shopOf(ctx: CheckContext): Promise<Shop> {
  const products = await ctx.http.get('/catalog/products');
  const list = products.json as { id?: unknown }[] | undefined;
  if (products.status !== 200 || !Array.isArray(list) || list.length === 0 || typeof list[0]!.id !== 'string') {
    fail(`GET /catalog/products answered ${describeAnswer(products)}; expected the catalog's products (the shop as lab 05 left it)`);
  }
  const paymentKey = ctx.compose().find((service) => service.name === 'payment')?.environment.PAYMENT_API_KEY;
  if (!paymentKey) fail('compose.yaml gives payment no PAYMENT_API_KEY: the check reads charges from payment with it');
  const ps = await ctx.tallJson<{ metricsUrl?: string }>(['ps']);
  if (!ps.metricsUrl) fail('"tall ps --json" shows no metricsUrl: the platform serves no metrics, so the check cannot count the calls orders makes');
  return { productId: pick(list).id as string, paymentKey, metricsUrl: ps.metricsUrl };
}

/** Places one order and sees what it made orders call. */
async function placeOrder(ctx: CheckContext, shop: Shop, timeoutMs = 15_000): Promise<Placed> {
  const before = await routerCounts(ctx, shop);
  const began = performance.now();
  let answer: HttpAnswer | undefined;
  let noAnswer: string | undefined;
  try {
    answer = await ctx.http.post(ORDERS, { productId: shop.productId, quantity: between(1, 5) }, { timeoutMs });
  } catch (error) {
    noAnswer = (error as Error).message;
  }
  const ms = performance.now() - began;
  const after = await routerCounts(ctx, shop);
  const calls = Object.fromEntries(DEPENDENCIES.map((service) => [service, difference(after.get(service), before.get(service))])) as Record<Dependency, Calls>;
  return { answer, noAnswer, ms, calls };
}

const confirmed = (placed: Placed) => placed.answer?.status === 201;

/**
 * Orders until one is confirmed (201), one a second: the shop is well again, every circuit closed. Each check starts so
 * (a breaker the last check opened may still be open) and leaves the shop so.
 */
async function untilConfirmed(ctx: CheckContext, shop: Shop, what: string, withinMs: number): Promise<Placed[]> {
  const seen: Placed[] = [];
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    const placed = await placeOrder(ctx, shop);
    seen.push(placed);
    if (confirmed(placed) && total(placed.calls.payment) > 0) return seen;
    await ctx.sleep(1000);
  }
  const last = seen.at(-1);
  fail(`${what}: expected an order to be confirmed (201) within ${seconds(withinMs)}, one tried every second; the last one: ${last ? describePlaced(last) : 'none placed'}`);
}

/** Every charge payment made, from each of its instances (a charge a shared store lists twice is counted once). */
async function charges(ctx: CheckContext, shop: Shop): Promise<{ paymentId: string; orderId: string }[]> {
  const instances = (await ctx.instances()).filter((instance) => instance.service === 'payment' && instance.state === 'running');
  if (instances.length === 0) fail('no payment instance is running: the check counts charges at payment (GET /payments)');
  const all = new Map<string, { paymentId: string; orderId: string }>();
  for (const instance of instances) {
    const answer = await ctx.http.get(`http://${instance.address}/payments`, { headers: { authorization: `Bearer ${shop.paymentKey}` } });
    if (answer.status !== 200 || !Array.isArray(answer.json)) fail(`GET /payments on ${instance.id} answered ${describeAnswer(answer)}; expected the list of charges (as the shop's payment lists them)`);
    for (const charge of answer.json as { paymentId?: string; orderId?: string }[]) {
      if (typeof charge.paymentId === 'string' && typeof charge.orderId === 'string') all.set(charge.paymentId, { paymentId: charge.paymentId, orderId: charge.orderId });
    }
  }
  return [...all.values()];
}

async function chaos(ctx: CheckContext, args: string[]): Promise<void> {
  const run = await ctx.tall(['chaos', ...args]);
  if (run.code !== 0) throw new Error(`tall chaos ${args.join(' ')} failed: ${run.stderr || run.stdout}`);
}

/** A fallback is a clear answer: an error status other than a bare 500, never "confirmed". */
function isFallback(placed: Placed): boolean {
  const status = placed.answer?.status;
  return status !== undefined && status >= 400 && status !== 500;
}

export default defineChecks({
  checks: [
    {
      name: 'payment-hangs',
      title: `while payment hangs, orders still answers within ${ANSWER_BOUND_MS / 1000} s, with a clear error (a timeout and a fallback)`,
      points: 3,
      timeout: '120s',
      hints: [
        `Try it: npx tall chaos latency payment 30s, then time curl -X POST ${ORDERS} … — how long does orders wait? What stops it waiting?`,
        'fetch() has no timeout of its own: give each try an AbortSignal that fires after a couple of seconds (AbortSignal.timeout(2000), or cockatiel\'s timeout(2000, TimeoutStrategy.Cooperative) passing its signal to fetch).',
        `All tries together, backoff included, must stay under ${ANSWER_BOUND_MS / 1000} s. Catch the failure and answer 503 (or 504) with a JSON error — not the error handler's 500.`,
      ],
      async run(ctx) {
        const shop = await shopOf(ctx);
        await untilConfirmed(ctx, shop, 'before payment hangs (no fault injected)', 30_000);
        const delayMs = between(20, 45) * 1000;
        const placed: Placed[] = [];
        await chaos(ctx, ['latency', 'payment', `${delayMs}ms`]);
        try {
          for (let i = 0; i < 2; i++) placed.push(await placeOrder(ctx, shop, ANSWER_BOUND_MS + 5000));
        } finally {
          await chaos(ctx, ['stop', 'payment']);
        }
        const called = placed.reduce((sum, order) => sum + total(order.calls.payment), 0);
        for (const order of placed) {
          const what = `with every call into payment delayed ${seconds(delayMs)} at the router, POST ${ORDERS} got ${describePlaced(order)}`;
          if (!order.answer || order.ms > ANSWER_BOUND_MS) fail(`${what}; expected an answer within ${ANSWER_BOUND_MS / 1000} s: give each call to payment a timeout (and keep all retries within the bound)`);
          if (order.answer.status === 500) fail(`${what}; expected a clear error for "payment did not answer" (e.g. 503 or 504 with a JSON error), not 500 from the error handler`);
          if (order.answer.status < 400) fail(`${what}; payment never answered, so the order cannot be confirmed: expected an error status (e.g. 503) saying payment is unavailable`);
          if (typeof order.answer.json !== 'object' || order.answer.json === null) fail(`${what}; expected a JSON body saying what went wrong`);
        }
        if (called === 0) fail(`orders never called payment while it hung (${placed.map(describePlaced).join(' | ')}): expected orders to try payment, give up after its timeout, and answer`);
        const after = await untilConfirmed(ctx, shop, 'once payment answers again', MAX_HALF_OPEN_MS + 20_000);
        return `payment delayed ${seconds(delayMs)}: ${placed.map((order) => `${order.answer!.status} in ${seconds(order.ms)}`).join(', ')} (${called} call(s) into payment, all given up); after: 201 (${after.length} order(s))`;
      },
    },
    {
      name: 'breaker-opens-and-closes',
      title: 'when payment keeps failing, orders stops calling it and answers with its fallback (circuit open), then calls it again once it recovers',
      points: 3,
      timeout: '180s',
      hints: [
        'Try it: npx tall chaos abort payment 503, place a few orders, and watch npx tall dashboard (payment\'s request rate): does orders ever stop calling payment?',
        'A circuit breaker counts failed calls; after a few in a row it opens: calls fail at once (no request sent) and orders answers with its fallback (503). cockatiel: circuitBreaker(handleAll, { halfOpenAfter: 5000, breaker: new ConsecutiveBreaker(5) }).',
        `After halfOpenAfter (at most ${MAX_HALF_OPEN_MS / 1000} s) one trial call goes through; if it works the circuit closes. Keep one breaker per dependency for the whole process (not one per request), and don't retry when the circuit is open (isBrokenCircuitError).`,
      ],
      async run(ctx) {
        const shop = await shopOf(ctx);
        await untilConfirmed(ctx, shop, 'before payment fails (no fault injected)', MAX_HALF_OPEN_MS + 20_000);
        const status = pick([500, 502, 503]);
        const seen: Placed[] = [];
        let quiet = 0;
        await chaos(ctx, ['abort', 'payment', String(status)]);
        try {
          const until = Date.now() + 45_000;
          // Open: several orders in a row answered with the fallback, and not one call into payment for them.
          while (quiet < QUIET_ORDERS && Date.now() < until) {
            const placed = await placeOrder(ctx, shop);
            seen.push(placed);
            if (placed.answer?.status === 201) fail(`payment answers every call with ${status}, yet an order was confirmed: ${describePlaced(placed)}`);
            if (!isFallback(placed)) fail(`with payment answering ${status} to every call, POST ${ORDERS} got ${describePlaced(placed)}; expected a clear error (e.g. 503 with a JSON error), not a 500 or no answer`);
            quiet = total(placed.calls.payment) === 0 ? quiet + 1 : 0;
            await ctx.sleep(100);
          }
        } finally {
          await chaos(ctx, ['stop', 'payment']);
        }
        const called = seen.reduce((sum, order) => sum + total(order.calls.payment), 0);
        if (quiet < QUIET_ORDERS) {
          fail(
            `payment answered ${status} to every call for 45 s; ${seen.length} orders placed, and orders called payment ${called} times — expected it to stop calling (an open circuit) after a few failures, answering with its fallback at once. ` +
              `The last orders: ${seen.slice(-3).map(describePlaced).join(' | ')}`,
          );
        }
        if (called === 0) fail(`orders never called payment at all (${seen.length} orders): expected some failed calls first, then none (the circuit opens because of failures)`);
        const opened = `payment answering ${status}: ${seen.length} orders, ${called} calls into payment, then none for ${quiet} orders in a row (answered ${[...new Set(seen.slice(-quiet).map((order) => order.answer!.status))].join(', ')})`;
        // Closed again: after the half-open wait, a trial call goes through and orders are confirmed again.
        const recovered = Date.now();
        const closeWithin = MAX_HALF_OPEN_MS + 20_000;
        const after = await untilConfirmed(ctx, shop, `after payment stopped failing (the circuit should let a trial call through within ${MAX_HALF_OPEN_MS / 1000} s and close)`, closeWithin);
        const firstConfirmed = Date.now() - recovered;
        // Each orders instance has a breaker of its own, opened at its own moment: one may still wait for its trial call
        // while another has closed, so fallbacks are allowed until every breaker has had its half-open wait.
        let inARow = 0;
        let last: Placed | undefined;
        while (inARow < 3 && Date.now() - recovered < closeWithin) {
          last = await placeOrder(ctx, shop);
          inARow = confirmed(last) && total(last.calls.payment) > 0 ? inARow + 1 : 0;
          if (inARow === 0) await ctx.sleep(1000);
        }
        if (inARow < 3) fail(`payment well again for ${seconds(closeWithin)}, yet orders were not confirmed 3 times in a row (the last: ${last ? describePlaced(last) : 'none placed'}); expected every circuit closed: confirmed, payment called`);
        return `${opened}; payment well again: confirmed after ${seconds(firstConfirmed)} (${after.length} order(s)), and 3 in a row after ${seconds(Date.now() - recovered)}`;
      },
    },
    {
      name: 'no-double-charge',
      title: 'when payment\'s answer is lost after it charged, orders tries again and the order is charged exactly once (an idempotency key)',
      points: 3,
      timeout: '180s',
      hints: [
        'Try it: npx tall chaos lose-answer payment --percent 50, place orders, then count charges per order: curl -H "Authorization: Bearer <key>" http://127.0.0.1:8080/payment/payments.',
        'A lost answer is a network error for orders, but payment did charge. Retrying is right — but only if payment can tell a retry from a new payment: send an Idempotency-Key header, the same on every try of one order (the order\'s id), and make payment answer a key it has seen with the charge it already made.',
        'The key must be made once per order, before the first try — not inside the function that each retry calls again. In payment, remember key → answer (a Map is enough: payment runs one instance), and a request with a key in progress must wait for it rather than charge again.',
      ],
      async run(ctx) {
        const shop = await shopOf(ctx);
        await untilConfirmed(ctx, shop, 'before answers are lost (no fault injected)', MAX_HALF_OPEN_MS + 20_000);
        const before = new Set((await charges(ctx, shop)).map((charge) => charge.paymentId));
        const percent = between(30, 50);
        const seen: Placed[] = [];
        const retriedAfterLoss = () => seen.filter((order) => confirmed(order) && (order.calls.payment['444'] ?? 0) > 0);
        await chaos(ctx, ['lose-answer', 'payment', '--percent', String(percent)]);
        try {
          const until = Date.now() + 60_000;
          while ((seen.length < 6 || retriedAfterLoss().length < 2) && Date.now() < until) {
            seen.push(await placeOrder(ctx, shop));
            await ctx.sleep(300);
          }
        } finally {
          await chaos(ctx, ['stop', 'payment']);
        }
        const made = (await charges(ctx, shop)).filter((charge) => !before.has(charge.paymentId));
        const byOrder = new Map<string, number>();
        for (const charge of made) byOrder.set(charge.orderId, (byOrder.get(charge.orderId) ?? 0) + 1);
        const twice = [...byOrder].filter(([, count]) => count > 1);
        const lost = seen.reduce((sum, order) => sum + (order.calls.payment['444'] ?? 0), 0);
        const summary = `${seen.length} orders with ${percent} % of payment's answers lost (${lost} lost): ${seen.filter(confirmed).length} confirmed, ${made.length} charges`;
        if (twice.length > 0) fail(`${summary}; order ${twice[0]![0]} was charged ${twice[0]![1]} times (${twice.length} order(s) charged more than once): a retry after a lost answer charged again. Send an idempotency key, the same on every try of one order, and make payment honour it`);
        for (const order of seen.filter(confirmed)) {
          const id = (order.answer!.json as { id?: unknown } | undefined)?.id;
          const count = typeof id === 'string' ? byOrder.get(id) ?? 0 : 0;
          if (count !== 1) fail(`${summary}; the confirmed order ${String(id)} has ${count} charges at payment (with orderId ${String(id)}); expected exactly 1 — ${describePlaced(order)}`);
        }
        if (made.length > seen.length) fail(`${summary}: more charges than orders; expected at most one charge per order, however many tries reached payment`);
        if (retriedAfterLoss().length === 0) {
          fail(
            `${summary}; no order was confirmed after a lost answer: expected orders to try payment again when the answer is lost (a network error), with the same idempotency key. The orders that lost an answer: ` +
              `${seen.filter((order) => order.calls.payment['444']).slice(0, 3).map(describePlaced).join(' | ') || 'none'}`,
          );
        }
        return `${summary}; ${retriedAfterLoss().length} orders confirmed after a lost answer, every order charged at most once`;
      },
    },
    {
      name: 'retries-only-where-safe',
      title: 'orders retries the catalog GET when it fails, and never repeats a POST that has no idempotency key (the notification)',
      points: 3,
      timeout: '180s',
      hints: [
        'Try it: npx tall chaos abort catalog 503 --percent 50 and npx tall chaos lose-answer notifier, then place orders: how many succeed? How many notifications does each order send (npx tall dashboard)?',
        'A GET changes nothing, so trying it again is safe: retry it 2–3 times, waiting a little longer each time with some randomness (exponential backoff with jitter; cockatiel: retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff() })).',
        'The notifier has no idempotency key: a lost answer may mean it already sent the notification, so never retry that POST. The order is paid by then — catch the failure and log it; the order stays confirmed (201).',
      ],
      async run(ctx) {
        const shop = await shopOf(ctx);
        await untilConfirmed(ctx, shop, 'before catalog fails (no fault injected)', MAX_HALF_OPEN_MS + 20_000);
        const percent = between(35, 50);
        const seen: Placed[] = [];
        const retried = () => seen.filter((order) => (order.calls.catalog['503'] ?? 0) > 0 && (order.calls.catalog['200'] ?? 0) > 0 && confirmed(order));
        await chaos(ctx, ['abort', 'catalog', '503', '--percent', String(percent)]);
        await chaos(ctx, ['lose-answer', 'notifier']);
        try {
          const until = Date.now() + 60_000;
          while ((seen.length < 8 || retried().length < 2) && Date.now() < until) {
            const placed = await placeOrder(ctx, shop);
            seen.push(placed);
            const what = `with ${percent} % of catalog's answers 503 and every answer of the notifier lost, POST ${ORDERS} got ${describePlaced(placed)}`;
            if (total(placed.calls.notifier) > 1) fail(`${what}: the notification (a POST with no idempotency key) was sent ${total(placed.calls.notifier)} times for one order; expected once — its answer was lost, so it may have been sent: never repeat it`);
            if (total(placed.calls.payment) > 1) fail(`${what}: payment was called ${total(placed.calls.payment)} times for one order, though it answered; expected once`);
            if (placed.calls.catalog['200'] && placed.calls.payment['201'] && !confirmed(placed)) fail(`${what}: the product was found and paid for, so the order is placed; expected 201 — a lost notification must not fail a paid order (log it)`);
            if (!placed.answer || placed.answer.status === 500) fail(`${what}; expected an answer: 201, or a clear error (e.g. 503) when catalog could not be reached`);
            await ctx.sleep(200);
          }
        } finally {
          await chaos(ctx, ['stop', 'catalog']);
          await chaos(ctx, ['stop', 'notifier']);
        }
        const failedFirst = seen.filter((order) => order.calls.catalog['503']).length;
        if (retried().length === 0) {
          fail(
            `${seen.length} orders with ${percent} % of catalog's answers 503: ${failedFirst} of them got a 503 from catalog, and none was confirmed after trying catalog again; expected orders to retry the GET (with backoff and jitter). ` +
              `E.g.: ${seen.filter((order) => order.calls.catalog['503']).slice(0, 2).map(describePlaced).join(' | ')}`,
          );
        }
        const notified = seen.reduce((sum, order) => sum + total(order.calls.notifier), 0);
        return `${seen.length} orders, ${seen.filter(confirmed).length} confirmed; ${retried().length} confirmed after catalog answered 503 and was asked again; notifications: ${notified} for ${seen.filter(confirmed).length} confirmed orders, none repeated`;
      },
    },
  ],
});
