// web: the storefront page. Lists the catalog's products and says which instance served the page.
import { hostname } from 'node:os';
import express from 'express';

// Hard-coded on purpose: lab 01 moves the version to the environment.
const VERSION = '1.0.0';
const PORT = Number(process.env.PORT ?? 3000);
// Where to listen: the platform says (127.0.0.1, so only this machine can reach the service; 0.0.0.0 inside a container).
const HOST = process.env.HOST ?? '127.0.0.1';
const CATALOG_URL = process.env.CATALOG_URL ?? 'http://127.0.0.1:8080/catalog';
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
    <h1>The Tall Shop</h1>
    <ul>
      ${rows}
    </ul>
    <p class="instance">Served by <code>${escapeHtml(INSTANCE)}</code> · version ${VERSION}</p>
  </body>
</html>
`;
}

const app = express();

app.use((req, res, next) => {
  console.log(`${req.method} ${req.originalUrl}`);
  res.set('X-Version', VERSION);
  next();
});

// No timeout and no fallback: if the catalog hangs, so does this page (lab 07).
app.get('/', async (_req, res) => {
  const answer = await fetch(`${CATALOG_URL}/products`);
  if (!answer.ok) throw new Error(`catalog answered ${answer.status}`);
  res.type('html').send(page((await answer.json()) as Product[]));
});

app.listen(PORT, HOST, () => {
  console.log(`web listening on ${HOST}:${PORT}`);
});
