// orders: places an order — looks up the product, charges the payment, tells the notifier.
// Deliberately naive: no timeouts, no retries, no idempotency key. Orders are kept in PostgreSQL (lab 04).
import { randomUUID } from 'node:crypto';
import express from 'express';
import pg from 'pg';
import { required } from './config.js';
import { lifecycle } from './lifecycle.js';
import { log, observe, tracedFetch } from './observability.js';
import { migrate } from './migrate.js';
import { OrderStore, type Order } from './order-store.js';

const PORT = Number(process.env.PORT ?? 3000);
// Where the other services are: through the platform's router, e.g. http://127.0.0.1:8080/catalog.
// Set per environment in compose.yaml; no fallback, so staging can never silently call another environment.
const CATALOG_URL = required('CATALOG_URL');
const PAYMENT_URL = required('PAYMENT_URL');
const NOTIFIER_URL = required('NOTIFIER_URL');
// The payment provider's key for this environment (a secret: from the environment, never in the code).
const PAYMENT_API_KEY = required('PAYMENT_API_KEY');
// The database the platform bound to this service (x-tall.bind in compose.yaml), credentials included: from the
// environment only, never in the code or the compose file.
const DATABASE_URL = required('DATABASE_URL');

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 5, connectionTimeoutMillis: 5000 });
// An idle connection that breaks (the database restarted) is replaced on the next query; it must not end the process.
pool.on('error', (error) => console.error(`database connection lost: ${error.message}`));
// Lab 04: in PostgreSQL, not in this process's memory: every instance sees every order, and a restart loses none.
const orders = new OrderStore(pool);

const app = express();
// /health, /ready, /info and a graceful stop (lab 01); the version comes from APP_VERSION.
const service = lifecycle(app, 'orders');
app.use(express.json());

// Lab 08: JSON logs carrying the request id, RED metrics at /metrics (observability.ts).
observe(app);

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return tracedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

app.post('/orders', async (req, res) => {
  const { productId, quantity = 1 } = req.body ?? {};
  if (typeof productId !== 'string' || !Number.isInteger(quantity) || quantity < 1) {
    res.status(400).json({ error: 'expected {productId: string, quantity: positive integer}' });
    return;
  }

  const found = await tracedFetch(`${CATALOG_URL}/products/${encodeURIComponent(productId)}`);
  if (!found.ok) {
    res.status(found.status === 404 ? 404 : 502).json({ error: `catalog answered ${found.status} for ${productId}` });
    return;
  }
  const product = (await found.json()) as { priceCents: number };

  const order: Order = {
    id: randomUUID(),
    productId,
    quantity,
    amountCents: product.priceCents * quantity,
    status: 'confirmed',
    createdAt: new Date().toISOString(),
  };

  const paid = await postJson(`${PAYMENT_URL}/payments`, { orderId: order.id, amountCents: order.amountCents }, { authorization: `Bearer ${PAYMENT_API_KEY}` });
  if (!paid.ok) {
    order.status = 'failed';
    order.error = `payment failed: payment answered ${paid.status}`;
    res.status(502).json(await orders.add(order));
    return;
  }
  order.paymentId = ((await paid.json()) as { paymentId: string }).paymentId;
  const saved = await orders.add(order);

  // If the notifier is down, the order is still confirmed and the notification silently lost: nobody is told (lab 10).
  await postJson(`${NOTIFIER_URL}/notifications`, { orderId: order.id, productId, quantity, amountCents: order.amountCents });
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
