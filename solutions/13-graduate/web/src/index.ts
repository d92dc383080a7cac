// web: the storefront page. Lists the catalog's products and says which instance served the page.
import { hostname } from 'node:os';
import express from 'express';
import { required } from './config.js';
import { lifecycle } from './lifecycle.js';
import { log, observe, tracedFetch } from './observability.js';

const PORT = Number(process.env.PORT ?? 3000);
// No fallback address: set per environment in compose.yaml (lab 02).
const CATALOG_URL = required('CATALOG_URL');
// Lab 08: the storefront places orders through orders (its route on the router, like CATALOG_URL).
const ORDERS_URL = required('ORDERS_URL');
// The platform says which copy this is; under Docker we fall back to the container's hostname.
const INSTANCE = process.env.INSTANCE_INDEX
  ? `${process.env.SERVICE_NAME ?? 'web'}/${process.env.INSTANCE_INDEX}`
  : hostname();

interface Product {
  id: string;
  name: string;
  priceCents: number;
  stock: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(products: Product[]): string {
  const rows = products
    .map(
      (p) =>
        `<li><strong>${escapeHtml(p.name)}</strong> — $${(p.priceCents / 100).toFixed(2)}` +
        ` <small>(${p.stock} in stock)</small></li>`,
    )
    .join('\n      ');
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>The Tall Shop</title></head>
  <body style="font-family: sans-serif; max-width: 40rem; margin: 2rem auto">
    ${service.environment === 'production' ? '' : `<p class="environment" style="background: #fde68a; padding: .5rem">Environment: <strong>${escapeHtml(service.environment)}</strong></p>`}
    <h1>The Tall Shop</h1>
    <ul>
      ${rows}
    </ul>
    <p class="instance">Served by <code>${escapeHtml(INSTANCE)}</code> · version ${service.version}</p>
  </body>
</html>
`;
}

const app = express();
// /health, /ready, /info and a graceful stop (lab 01); the version comes from APP_VERSION.
const service = lifecycle(app, 'web');

// Lab 08: JSON logs carrying the request id, RED metrics at /metrics (observability.ts).
observe(app);
app.use(express.json());

// No timeout and no fallback: if the catalog hangs, so does this page (lab 07).
app.get('/', async (_req, res) => {
  const answer = await tracedFetch(`${CATALOG_URL}/products`);
  if (!answer.ok) throw new Error(`catalog answered ${answer.status}`);
  res.type('html').send(page((await answer.json()) as Product[]));
});

// Lab 08: place an order from the storefront — one request that goes web → orders → catalog, payment, notifier.
app.post('/orders', async (req, res) => {
  const { productId, quantity } = req.body ?? {};
  log().info({ productId, quantity }, 'placing order');
  const answer = await tracedFetch(`${ORDERS_URL}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ productId, quantity }),
  });
  res.status(answer.status).type(answer.headers.get('content-type') ?? 'application/json').send(await answer.text());
});

service.listen(PORT);
