// Lab 10 · Asynchronicity: events through a transactional outbox, an idempotent consumer — the checks. They run against
// a throwaway platform started from your services/. Rules for checks a learner can trust: README.md, "Writing a lab".
//
// How they see what happens: orders are placed through the router (POST /orders/orders) and the notifications read
// where people read them (GET /notifier/notifications), counted per order id. The checks take the notifier away (scaled
// to 0, killed), stop the broker (tall service stop), kill the services that publish to the broker, and deliver a
// message twice themselves — a copy of one already handled, put into the broker's queue with SQL, as a relay that died
// between publishing and marking the row sent would put it there.
import { defineChecks, describeAnswer, fail, type CheckContext } from '../../platform/src/labs/check-api.js';

const ORDERS = '/orders/orders';
const NOTIFICATIONS = '/notifier/notifications';

const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
const list = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
const short = (id: string) => id.slice(0, 8);

interface DataInstance {
  name: string;
  service: string;
  server: string;
  bindings: { app: string }[];
}

async function productIds(ctx: CheckContext): Promise<string[]> {
  const answer = await ctx.http.get('/catalog/products');
  const products = answer.json as { id?: unknown }[] | undefined;
  if (answer.status !== 200 || !Array.isArray(products) || products.length === 0) fail(`GET /catalog/products answered ${describeAnswer(answer)}; expected the catalog's products`);
  return products.map((product) => String(product.id));
}

/** Places one order; it must be confirmed (201): `while` says what was going on, for the message. */
async function placeOrder(ctx: CheckContext, products: string[], while_: string): Promise<string> {
  const productId = products[between(0, products.length - 1)]!;
  const answer = await ctx.http.post(ORDERS, { productId, quantity: between(1, 5) }, { timeoutMs: 20_000 });
  const id = (answer.json as { id?: unknown } | undefined)?.id;
  if (answer.status !== 201 || typeof id !== 'string') {
    fail(`${while_}, POST ${ORDERS} answered ${describeAnswer(answer)}; expected 201 with the order: placing an order must not depend on the notifier or the broker (write the order and its message in one transaction; the relay and the notifier do the rest later)`);
  }
  return id;
}

/** The notifications the notifier lists, counted per order id; undefined while it does not answer 200 with a list. */
async function notificationCounts(ctx: CheckContext): Promise<Map<string, number> | undefined> {
  const answer = await ctx.http.get(NOTIFICATIONS, { timeoutMs: 10_000 }).catch(() => undefined);
  if (!answer || answer.status !== 200 || !Array.isArray(answer.json)) return undefined;
  const counts = new Map<string, number>();
  for (const notification of answer.json as { orderId?: unknown }[]) {
    if (typeof notification?.orderId === 'string') counts.set(notification.orderId, (counts.get(notification.orderId) ?? 0) + 1);
  }
  return counts;
}

/** How each of `orders` stands: notified once, not (yet), or more than once. */
function tally(counts: Map<string, number>, orders: string[]) {
  return {
    missing: orders.filter((id) => !counts.get(id)),
    twice: orders.filter((id) => (counts.get(id) ?? 0) > 1),
  };
}

const describeTwice = (counts: Map<string, number>, twice: string[]) => list(twice.slice(0, 3).map((id) => `order ${short(id)} ${counts.get(id)} times`)) + (twice.length > 3 ? ` (${twice.length} orders in all)` : '');

/** Waits until every order of `orders` has a notification; fails saying which have none (or if one came twice). */
async function allNotified(ctx: CheckContext, orders: string[], withinMs: number, what: string): Promise<Map<string, number>> {
  let last: Map<string, number> | undefined;
  try {
    return await ctx.waitFor(`a notification for each of the ${orders.length} orders`, async () => {
      last = (await notificationCounts(ctx)) ?? last;
      if (!last || tally(last, orders).missing.length > 0) {
        await ctx.sleep(1000);
        return undefined;
      }
      return last;
    }, withinMs);
  } catch {
    if (!last) fail(`${what}: GET ${NOTIFICATIONS} never answered 200 with the list of notifications within ${seconds(withinMs)}`);
    const { missing } = tally(last, orders);
    fail(`${what}: ${missing.length} of ${orders.length} orders have no notification ${seconds(withinMs)} later (e.g. ${list(missing.slice(0, 3).map(short))}); expected every placed order to be notified, late but never lost`);
  }
}

/** The broker instance the notifier takes its messages from (`tall services`), and the other services bound to it. */
async function broker(ctx: CheckContext): Promise<{ name: string; publishers: string[] }> {
  const instances = (await ctx.tallJson<{ instances: DataInstance[] }>(['services'])).instances;
  const brokers = instances.filter((instance) => instance.service === 'broker');
  const found = brokers.find((instance) => instance.bindings.some((binding) => binding.app === 'notifier'));
  if (!found) {
    fail(brokers.length
      ? `the notifier is bound to no message broker (broker instances: ${list(brokers.map((instance) => `${instance.name}, bound to ${list(instance.bindings.map((binding) => binding.app)) || 'nothing'}`))}); expected it bound to the broker it takes the order-placed messages from (x-tall.bind)`
      : `"tall services" lists no message broker; expected one declared in compose.yaml (top-level x-tall.services, e.g. events: { service: broker }) and bound to the relay and the notifier`);
  }
  return { name: found.name, publishers: [...new Set(found.bindings.map((binding) => binding.app))].filter((app) => app !== 'notifier') };
}

/** Sets a service's instance count and waits for them (scale-in drains first). */
async function scale(ctx: CheckContext, service: string, count: number): Promise<void> {
  const run = await ctx.tall(['scale', service, String(count)]);
  if (run.code !== 0) throw new Error(`tall scale ${service} ${count} failed: ${run.stderr || run.stdout}`);
}

async function desired(ctx: CheckContext, service: string): Promise<number> {
  return (await ctx.services()).find((candidate) => candidate.name === service)?.desired ?? 1;
}

/** Waits until every instance of `service` runs and is ready. */
async function ready(ctx: CheckContext, service: string, withinMs: number): Promise<void> {
  const want = await desired(ctx, service);
  await ctx.waitFor(`${want} ready instance(s) of ${service}`, async () => {
    const instances = (await ctx.instances(service)).filter((instance) => instance.state === 'running' && instance.ready);
    if (instances.length >= want) return true;
    await ctx.sleep(500);
    return false;
  }, withinMs);
}

/** Messages in the broker's queues not finished yet: waiting, to be retried, or taken by a consumer. */
async function unfinished(ctx: CheckContext, instance: string): Promise<number> {
  const [row] = await ctx.sql<{ count: string }>(instance, "SELECT count(*) FROM pgboss.job WHERE state IN ('created', 'retry', 'active')");
  return Number(row?.count ?? 0);
}

/** Waits until the broker's queues are empty (every message handled), so that a late copy has had its chance. */
async function settled(ctx: CheckContext, instance: string, withinMs: number, what: string): Promise<void> {
  let left = 0;
  await ctx.waitFor('every message in the broker handled', async () => {
    left = await unfinished(ctx, instance).catch(() => -1);
    if (left === 0) return true;
    await ctx.sleep(1000);
    return false;
  }, withinMs).catch(() => fail(
    `${what}: ${left} message(s) in the broker are still waiting, to be retried or taken and never finished, ${seconds(withinMs)} later. ` +
      'A message a consumer took and never finished (it was killed) comes back only once it expires: give the queue a short expiration (pg-boss: expireInSeconds, e.g. 20–30) and retries (retryLimit), and make sure something runs pg-boss\'s maintenance often (maintenanceIntervalSeconds)',
  ));
}

export default defineChecks({
  checks: [
    {
      name: 'placed-while-notifier-down',
      title: 'with the notifier at 0 instances, orders are still placed (201), and each is notified once the notifier is back',
      points: 3,
      timeout: '180s',
      allowRouterFaults: true,
      hints: [
        'Try it: npx tall scale notifier 0, place an order (curl -X POST http://127.0.0.1:8080/orders/orders …), then npx tall scale notifier 1 and look at GET /notifier/notifications. Is the order there?',
        'A call to the notifier inside POST /orders can only succeed while the notifier is up. Record instead that the order was placed — a row in an outbox table, written in the same transaction as the order — and let someone else deliver it later.',
        'orders: INSERT the order and INSERT INTO outbox (id, topic, payload) in one transaction (BEGIN … COMMIT on one client of the pool). relay: reads unsent rows, boss.send()s each to the broker, marks them sent. notifier: boss.work(\'order-placed\', …) records each notification in its own database, and GET /notifications lists them.',
      ],
      async run(ctx) {
        const products = await productIds(ctx);
        const count = await desired(ctx, 'notifier');
        const placed: string[] = [];
        const howMany = between(3, 6);
        await scale(ctx, 'notifier', 0);
        try {
          for (let i = 0; i < howMany; i++) placed.push(await placeOrder(ctx, products, 'with the notifier scaled to 0'));
        } finally {
          await scale(ctx, 'notifier', count);
        }
        const backAt = Date.now();
        const counts = await allNotified(ctx, placed, 120_000, `${howMany} orders placed while the notifier was at 0 instances, then the notifier scaled back to ${count}`);
        const { twice } = tally(counts, placed);
        if (twice.length) fail(`${howMany} orders placed while the notifier was down: once it was back, ${describeTwice(counts, twice)} were notified; expected exactly once each`);
        return `${howMany} orders placed (201) while the notifier was at 0; all notified once, ${seconds(Date.now() - backAt)} after it came back`;
      },
    },
    {
      name: 'placed-while-broker-down',
      title: 'with the broker stopped, orders are still placed (201) and notified only after it is back — once each',
      points: 3,
      timeout: '240s',
      allowRouterFaults: true,
      hints: [
        'Try it: npx tall service stop events (your broker), place an order, wait, then npx tall service start events. What did orders answer? When did the notification come?',
        'The notification must travel as a message through the broker: while the broker is down, nothing can reach the notifier, and orders must not need the broker either — it only writes the outbox row, in its own database. The relay keeps the rows until it can publish them.',
        'In the relay, a pass that fails (the broker is down: boss.send throws) rolls back and is tried again a little later — never mark a row sent before it was published. pg-boss reconnects by itself; handle its "error" events (boss.on(\'error\', …)) so they do not end the process.',
      ],
      async run(ctx) {
        const { name } = await broker(ctx);
        const products = await productIds(ctx);
        // Before: the shop works (an order is notified), so the check starts from a settled state.
        const warmUp = await placeOrder(ctx, products, 'before the broker is stopped');
        await allNotified(ctx, [warmUp], 120_000, 'before the broker is stopped, an order placed');
        const placed: string[] = [];
        const howMany = between(3, 6);
        const stopped = await ctx.tall(['service', 'stop', name]);
        if (stopped.code !== 0) throw new Error(`tall service stop ${name} failed: ${stopped.stderr || stopped.stdout}`);
        let early: string[] = [];
        try {
          for (let i = 0; i < howMany; i++) placed.push(await placeOrder(ctx, products, `with the broker (${name}) stopped`));
          // A while with the broker down: none of these orders can have been notified through it.
          const until = Date.now() + between(4000, 7000);
          while (Date.now() < until && early.length === 0) {
            const counts = await notificationCounts(ctx);
            if (counts) early = placed.filter((id) => counts.has(id));
            await ctx.sleep(1000);
          }
        } finally {
          const started = await ctx.tall(['service', 'start', name]);
          if (started.code !== 0) ctx.note(`tall service start ${name}: ${started.stderr || started.stdout}`);
        }
        if (early.length) {
          fail(`with the broker (${name}) stopped, ${list(early.map((id) => `order ${short(id)}`))} ${early.length === 1 ? 'was' : 'were'} notified anyway; expected the notification to travel through the broker (the relay publishes the outbox row, the notifier takes it from the queue), so it arrives only once the broker is back`);
        }
        const backAt = Date.now();
        const counts = await allNotified(ctx, placed, 150_000, `${howMany} orders placed while the broker (${name}) was stopped, then the broker started again`);
        const { twice } = tally(counts, placed);
        if (twice.length) fail(`${howMany} orders placed while the broker was down: once it was back, ${describeTwice(counts, twice)} were notified; expected exactly once each`);
        return `${howMany} orders placed (201) with ${name} stopped, none notified meanwhile; all notified once, ${seconds(Date.now() - backAt)} after it started again`;
      },
    },
    {
      name: 'exactly-once-under-chaos',
      title: 'N orders placed under load while the notifier and the relay are killed again and again: exactly N notifications, one per order',
      points: 4,
      timeout: '360s',
      allowRouterFaults: true,
      hints: [
        'Try it: npx tall chaos kill notifier --every 5s --for 40s and npx tall chaos kill relay --every 7s --for 40s while you place orders in a loop; then compare GET /orders/orders with GET /notifier/notifications. Any order missing? Any twice?',
        'Two windows: the relay dies after publishing and before marking the rows sent (it publishes them again: the same message twice), and the notifier dies after notifying and before the broker heard it finished (the broker gives the message again once it expires). Both are at-least-once delivery: copies must be harmless.',
        'Dedupe in the notifier by the message id, in its database and in the same statement or transaction as the notification: INSERT … ON CONFLICT (message_id) DO NOTHING (a UNIQUE message_id column). Give the queue a short expiration (expireInSeconds) and retries, so a message a killed notifier took comes back soon.',
      ],
      async run(ctx) {
        const { name, publishers } = await broker(ctx);
        const products = await productIds(ctx);
        await ready(ctx, 'notifier', 90_000);
        // The services that publish to the broker are killed too — but not orders, if it publishes itself: its customers'
        // requests would fail, and this check is about the messages.
        const relays = publishers.filter((service) => service !== 'orders' && service !== 'web');
        const howMany = between(40, 80);
        const placed: string[] = [];
        const killed: string[] = [];
        let placing = true;
        // The chaos: each service that talks to the broker killed at random moments while the orders come in.
        const victims = ['notifier', ...relays];
        const chaos = Promise.all(victims.map(async (service) => {
          await ctx.sleep(between(300, 1500));
          while (placing) {
            const run = await ctx.tall(['kill', service, '--json']);
            if (run.code === 0) killed.push((JSON.parse(run.stdout) as { killed: { id: string } }).killed.id);
            await ctx.sleep(service === 'notifier' ? between(2500, 5000) : between(3500, 7000));
          }
        }));
        // Under load: a few customers at once, at a pace that spreads the N orders over some 20–30 s of chaos.
        const customers = 4;
        const paceMs = (between(20, 30) * 1000 * customers) / howMany;
        try {
          let next = 0;
          await Promise.all(Array.from({ length: customers }, async () => {
            while (next < howMany) {
              next++;
              const began = Date.now();
              placed.push(await placeOrder(ctx, products, `while ${list(victims)} were being killed`));
              await ctx.sleep(Math.max(0, paceMs - (Date.now() - began)));
            }
          }));
        } finally {
          placing = false;
          await chaos;
        }
        ctx.note(`${howMany} orders placed; killed ${killed.length} instances: ${list(killed)}`);
        const counts = await allNotified(ctx, placed, 180_000, `${howMany} orders placed while ${list(victims)} were killed ${killed.length} times`);
        // Every copy the kills may have made handled too, before counting.
        await settled(ctx, name, 120_000, `after ${howMany} orders placed under chaos`);
        const final = (await notificationCounts(ctx)) ?? counts;
        const { missing, twice } = tally(final, placed);
        if (twice.length || missing.length) {
          fail(`${howMany} orders placed while ${list(victims)} were killed ${killed.length} times: ${twice.length ? `${describeTwice(final, twice)} were notified` : ''}${twice.length && missing.length ? '; ' : ''}${missing.length ? `${missing.length} have no notification` : ''}; expected exactly one notification per order — dedupe by message id in the notifier's database`);
        }
        return `${howMany} orders, ${killed.length} kills (${list([...new Set(killed.map((id) => id.split('/')[0]!))])}): ${howMany} notifications, one per order`;
      },
    },
    {
      name: 'duplicate-delivered-once',
      title: 'a message delivered again — after the notifier restarted — is acknowledged and not notified twice (an idempotent consumer)',
      points: 3,
      timeout: '240s',
      allowRouterFaults: true,
      hints: [
        'A relay that dies after publishing and before marking the row sent publishes the same message again. Try it: copy a finished job in the broker (psql on the URL "tall services" shows: INSERT INTO pgboss.job (name, data) SELECT name, data FROM pgboss.job WHERE state = \'completed\' LIMIT 1) and look at GET /notifier/notifications.',
        'The copy has a new job id but the same data: put a message id in the data (the outbox row\'s id) and let the notifier remember the ids it has handled — somewhere that survives a restart and is shared by every instance: its database, not a Set in memory.',
        'A UNIQUE message_id column and INSERT … ON CONFLICT (message_id) DO NOTHING RETURNING id: no row back means "seen before" — log it, and return normally so the broker marks the copy done (a handler that throws gets it retried, and in the end failed).',
      ],
      async run(ctx) {
        const { name } = await broker(ctx);
        const products = await productIds(ctx);
        await ready(ctx, 'notifier', 90_000);
        const howMany = between(2, 4);
        const placed: string[] = [];
        for (let i = 0; i < howMany; i++) placed.push(await placeOrder(ctx, products, 'with the shop well'));
        await allNotified(ctx, placed, 120_000, `${howMany} orders placed`);
        await settled(ctx, name, 120_000, `${howMany} orders placed`);
        // A restart of every notifier instance: what it kept in memory is gone, as after any crash or deploy.
        for (const instance of await ctx.instances('notifier')) {
          const run = await ctx.tall(['kill', instance.id]);
          if (run.code !== 0) throw new Error(`tall kill ${instance.id} failed: ${run.stderr || run.stdout}`);
        }
        await ctx.sleep(1000);
        await ready(ctx, 'notifier', 120_000);
        // What it sent is still known after the restart (kept in its database, not in its memory).
        const kept = await ctx.waitFor(`GET ${NOTIFICATIONS} answering after the notifier restarted`, async () => (await notificationCounts(ctx)) ?? (await ctx.sleep(1000), undefined), 60_000);
        const forgotten = tally(kept, placed).missing;
        if (forgotten.length) fail(`after the notifier restarted, ${list(forgotten.map((id) => `order ${short(id)}`))} ${forgotten.length === 1 ? 'has' : 'have'} no notification any more; expected the notifications kept in the notifier's database`);
        // Each order's message delivered again: a copy of the job that carried it (same data, a new job id).
        const copies: string[] = [];
        for (const orderId of placed) {
          const rows = await ctx.sql<{ id: string }>(name, `
            INSERT INTO pgboss.job (name, data, retry_limit, retry_delay, expire_in, policy)
            SELECT name, data, retry_limit, retry_delay, expire_in, policy FROM (
              SELECT name, data, retry_limit, retry_delay, expire_in, policy, created_on FROM pgboss.job WHERE state = 'completed' AND data::text LIKE $1
              UNION ALL
              SELECT name, data, retry_limit, retry_delay, expire_in, policy, created_on FROM pgboss.archive WHERE state = 'completed' AND data::text LIKE $1
            ) handled ORDER BY created_on LIMIT 1
            RETURNING id`, [`%${orderId}%`]);
          if (rows.length === 0) fail(`no finished message about order ${orderId} in the broker (${name}: pgboss.job, state completed); expected the relay to publish each order's message to the broker, with the order's id in it, and the notifier to take it from there`);
          copies.push(rows[0]!.id);
        }
        let states = '';
        await ctx.waitFor('the copies handled', async () => {
          const rows = await ctx.sql<{ state: string }>(name, 'SELECT state FROM pgboss.job WHERE id = ANY($1::uuid[]) UNION ALL SELECT state FROM pgboss.archive WHERE id = ANY($1::uuid[])', [copies]);
          states = rows.map((row) => row.state).join(', ');
          if (rows.length === copies.length && rows.every((row) => row.state === 'completed')) return true;
          await ctx.sleep(1000);
          return false;
        }, 120_000).catch(() => fail(
          `${copies.length} copies of messages the notifier had handled were put back into the broker; 120 s later they are ${states || 'gone'}; expected each taken and acknowledged (completed): a duplicate is dropped quietly — the handler returns normally — not failed and retried`,
        ));
        const counts = await notificationCounts(ctx);
        if (!counts) fail(`GET ${NOTIFICATIONS} does not answer 200 with the list of notifications after the notifier restarted`);
        const { missing, twice } = tally(counts, placed);
        if (missing.length) fail(`after the copies were delivered, ${list(missing.map((id) => `order ${short(id)}`))} ${missing.length === 1 ? 'has' : 'have'} no notification any more; expected each order notified once`);
        if (twice.length) fail(`each message of ${howMany} orders delivered a second time, after the notifier restarted: ${describeTwice(counts, twice)} were notified; expected once — remember the message ids handled in the notifier's database (a unique message id), not in memory`);
        return `${howMany} messages delivered again after a restart of the notifier: acknowledged, and each order still notified once`;
      },
    },
  ],
});
