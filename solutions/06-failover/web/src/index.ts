// web: the storefront page. Lists the catalog's products and says which instance served the page.
import { hostname } from 'node:os';
import express from 'express';
import { required } from './config.js';
import { lifecycle } from './lifecycle.js';

const PORT = Number(process.env.PORT ?? 3000);
// No fallback address: set per environment in compose.yaml (lab 02).
const CATALOG_URL = required('CATALOG_URL');
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

app.use((req, res, next) => {
  console.log(`${req.method} ${req.originalUrl}`);
  next();
});

// No timeout and no fallback: if the catalog hangs, so does this page (lab 07).
app.get('/', async (_req, res) => {
  const answer = await fetch(`${CATALOG_URL}/products`);
  if (!answer.ok) throw new Error(`catalog answered ${answer.status}`);
  res.type('html').send(page((await answer.json()) as Product[]));
});

service.listen(PORT);
