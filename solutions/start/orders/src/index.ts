// orders: places an order — looks up the product, charges the payment, tells the notifier.
// Deliberately naive: no timeouts, no retries, no idempotency key, orders kept in memory.
import { randomUUID } from 'node:crypto';
import express from 'express';

// Hard-coded on purpose: lab 01 moves the version to the environment.
const VERSION = '1.0.0';
const PORT = Number(process.env.PORT ?? 3000);
// Where to listen: the platform says (127.0.0.1, so only this machine can reach the service; 0.0.0.0 inside a container).
const HOST = process.env.HOST ?? '127.0.0.1';
// Where the other services are: through the platform's router, e.g. http://127.0.0.1:8080/catalog
const CATALOG_URL = process.env.CATALOG_URL ?? 'http://127.0.0.1:8080/catalog';
const PAYMENT_URL = process.env.PAYMENT_URL ?? 'http://127.0.0.1:8080/payment';
const NOTIFIER_URL = process.env.NOTIFIER_URL ?? 'http://127.0.0.1:8080/notifier';

interface Order {
  id: string;
  productId: string;
  quantity: number;
  amountCents: number;
  status: 'confirmed' | 'failed';
  paymentId?: string;
  error?: string;
  createdAt: string;
}

// In memory: lost on restart, and each instance has its own (lab 04 moves them to Postgres).
const orders = new Map<string, Order>();

const app = express();
app.use(express.json());

app.use((req, res, next) => {
  console.log(`${req.method} ${req.originalUrl}`);
  res.set('X-Version', VERSION);
  next();
});

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

app.post('/orders', async (req, res) => {
  const { productId, quantity = 1 } = req.body ?? {};
  if (typeof productId !== 'string' || !Number.isInteger(quantity) || quantity < 1) {
    res.status(400).json({ error: 'expected {productId: string, quantity: positive integer}' });
    return;
  }

  const found = await fetch(`${CATALOG_URL}/products/${encodeURIComponent(productId)}`);
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

  const paid = await postJson(`${PAYMENT_URL}/payments`, { orderId: order.id, amountCents: order.amountCents });
  if (!paid.ok) {
    order.status = 'failed';
    order.error = `payment failed: payment answered ${paid.status}`;
    orders.set(order.id, order);
    res.status(502).json(order);
    return;
  }
  order.paymentId = ((await paid.json()) as { paymentId: string }).paymentId;
  orders.set(order.id, order);

  // If the notifier is down, the order is still confirmed and the notification silently lost: nobody is told (lab 10).
  await postJson(`${NOTIFIER_URL}/notifications`, { orderId: order.id, productId, quantity, amountCents: order.amountCents });
  res.status(201).json(order);
});

app.get('/orders', (_req, res) => {
  res.json([...orders.values()]);
});

app.get('/orders/:id', (req, res) => {
  const order = orders.get(req.params.id);
  if (!order) {
    res.status(404).json({ error: `unknown order: ${req.params.id}` });
    return;
  }
  res.json(order);
});

// Anything unexpected ends up here, e.g. a service that does not answer at all.
app.use((err: Error, req: express.Request, res: express.Response, _next: express.NextFunction) => {
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  console.log(`${req.method} ${req.originalUrl} failed: ${err.message}${cause}`);
  res.status(500).json({ error: `${err.message}${cause}` });
});

app.listen(PORT, HOST, () => {
  console.log(`orders listening on ${HOST}:${PORT}`);
});
