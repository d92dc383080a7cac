// orders: places an order — looks up the product, charges the payment, and records that it was placed.
// Orders are kept in PostgreSQL (lab 04). Lab 07: every call to another service has a timeout, a circuit breaker and a
// fallback; only safe calls are retried (resilience.ts), and the payment carries an idempotency key. Lab 10: orders no
// longer calls the notifier. A confirmed order is written with an order-placed message in its outbox, in the same
// transaction (order-store.ts); the relay publishes it to the broker, and the notifier takes it from there.
import { randomUUID } from 'node:crypto';
import express from 'express';
import pg from 'pg';
import { required } from './config.js';
import { lifecycle } from './lifecycle.js';
import { log, observe, requestId, tracedFetch } from './observability.js';
import { migrate } from './migrate.js';
import { OrderStore, type Order } from './order-store.js';
import { Dependency, describeFailure, millis } from './resilience.js';

const PORT = Number(process.env.PORT ?? 3000);
// Where the other services are: through the platform's router, e.g. http://127.0.0.1:8080/catalog.
// Set per environment in compose.yaml; no fallback, so staging can never silently call another environment.
const CATALOG_URL = required('CATALOG_URL');
const PAYMENT_URL = required('PAYMENT_URL');
// The payment provider's key for this environment (a secret: from the environment, never in the code).
const PAYMENT_API_KEY = required('PAYMENT_API_KEY');
// The database the platform bound to this service (x-tall.bind in compose.yaml), credentials included: from the
// environment only, never in the code or the compose file.
const DATABASE_URL = required('DATABASE_URL');

// Lab 07: how long one try may take, how often a failed one is repeated, when the breaker opens and tries again —
// per dependency, from the environment (compose.yaml). Three tries of payment, backoff included, stay within 10 s.
const catalog = new Dependency({ name: 'catalog', timeoutMs: millis('CATALOG_TIMEOUT_MS', 1000), retries: 2, breakAfter: 5, halfOpenAfterMs: millis('BREAKER_HALF_OPEN_MS', 5000) });
const payment = new Dependency({ name: 'payment', timeoutMs: millis('PAYMENT_TIMEOUT_MS', 2000), retries: 2, breakAfter: 5, halfOpenAfterMs: millis('BREAKER_HALF_OPEN_MS', 5000) });

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 5, connectionTimeoutMillis: 5000 });
// An idle connection that breaks (the database restarted) is replaced on the next query; it must not end the process.
pool.on('error', (error) => console.error(`database connection lost: ${error.message}`));
// Lab 04: in PostgreSQL, not in this process's memory: every instance sees every order, and a restart loses none.
const orders = new OrderStore(pool);

const app = express();
// /health, /ready, /info and a graceful stop (lab 01); the version comes from APP_VERSION. Ready only while the
// database answers (lab 06): without it this instance can serve nothing, but restarting it would not bring it back.
const service = lifecycle(app, 'orders', { dependencies: () => pool.query('SELECT 1') });
app.use(express.json());

// Lab 08: JSON logs carrying the request id, RED metrics at /metrics (observability.ts).
observe(app);

function postJson(url: string, body: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  return tracedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
}

/** The fallback when a dependency is down: a quick, clear 503 (with the order, if one was recorded) instead of a hang. */
function unavailable(res: express.Response, why: string, order?: Order): void {
  res.status(503).set('retry-after', '5').json({ ...order, error: why });
}

app.post('/orders', async (req, res) => {
  const { productId, quantity = 1 } = req.body ?? {};
  if (typeof productId !== 'string' || !Number.isInteger(quantity) || quantity < 1) {
    res.status(400).json({ error: 'expected {productId: string, quantity: positive integer}' });
    return;
  }

  // A GET: safe to repeat, so it is retried (with backoff and jitter) when it fails.
  let found;
  try {
    found = await catalog.call(true, (signal) => tracedFetch(`${CATALOG_URL}/products/${encodeURIComponent(productId)}`, { signal }));
  } catch (error) {
    unavailable(res, describeFailure(error, catalog.settings));
    return;
  }
  if (found.status !== 200) {
    res.status(found.status === 404 ? 404 : 502).json({ error: `catalog answered ${found.status} for ${productId}` });
    return;
  }
  const product = found.body as { priceCents: number };

  const order: Order = {
    id: randomUUID(),
    productId,
    quantity,
    amountCents: product.priceCents * quantity,
    status: 'confirmed',
    createdAt: new Date().toISOString(),
  };

  // A POST that charges money: repeated only because it carries an idempotency key — the order's id, the same on every
  // try — so payment charges it once however many tries reach it (a try whose answer was lost included).
  const headers = { authorization: `Bearer ${PAYMENT_API_KEY}`, 'idempotency-key': order.id };
  let paid;
  try {
    paid = await payment.call(true, (signal) => postJson(`${PAYMENT_URL}/payments`, { orderId: order.id, amountCents: order.amountCents }, headers, signal));
  } catch (error) {
    order.status = 'failed';
    order.error = `payment failed: ${describeFailure(error, payment.settings)}`;
    unavailable(res, order.error, await orders.add(order));
    return;
  }
  if (paid.status !== 201 && paid.status !== 200) {
    order.status = 'failed';
    order.error = `payment failed: payment answered ${paid.status}`;
    res.status(502).json(await orders.add(order));
    return;
  }
  order.paymentId = (paid.body as { paymentId: string }).paymentId;
  // The order and its order-placed message, in one transaction: the notifier hears of every confirmed order — later,
  // through the broker — whether or not it is up now. The request's id goes with it (lab 08: one id, end to end).
  const placed = { orderId: order.id, productId, quantity, amountCents: order.amountCents, requestId: requestId() };
  const saved = await orders.add(order, { topic: 'order-placed', payload: placed });
  res.status(201).json(saved);
});

app.get('/orders', async (_req, res) => {
  res.json(await orders.list());
});

app.get('/orders/:id', async (req, res) => {
  const order = await orders.get(req.params.id);
  if (!order) {
    res.status(404).json({ error: `unknown order: ${req.params.id}` });
    return;
  }
  res.json(order);
});

// Anything unexpected ends up here, e.g. a service that does not answer at all.
app.use((err: Error, req: express.Request, res: express.Response, _next: express.NextFunction) => {
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  log().error({ err }, `${req.method} ${req.originalUrl} failed: ${err.message}${cause}`);
  res.status(500).json({ error: `${err.message}${cause}` });
});

// Migrations first: an instance takes traffic only once the schema it needs is there. One that cannot migrate exits,
// and the platform restarts it (the database may still be starting).
migrate(DATABASE_URL).then(
  () => service.listen(PORT),
  (error: Error) => {
    console.error(`migrations failed: ${error.message}`);
    process.exit(1);
  },
);
