// catalog: the shop's products. Deliberately naive — the labs make it "tall".
import express from 'express';
import { lifecycle } from './lifecycle.js';
import { observe } from './observability.js';

const PORT = Number(process.env.PORT ?? 3000);

interface Product {
  id: string;
  name: string;
  priceCents: number;
  stock: number;
}

const products: Product[] = [
  { id: 'tall-mug', name: '"You must be this tall" mug', priceCents: 1400, stock: 40 },
  { id: 'breaker-stickers', name: 'Circuit breaker sticker pack', priceCents: 600, stock: 200 },
  { id: 'chaos-monkey', name: 'Chaos Monkey plush', priceCents: 2500, stock: 12 },
  { id: 'twelve-factor-poster', name: 'Twelve-Factor App poster', priceCents: 1800, stock: 30 },
  { id: 'blue-green-hoodie', name: 'Blue-green deploy hoodie', priceCents: 4900, stock: 15 },
  { id: 'pager-duck', name: 'On-call rubber duck', priceCents: 900, stock: 60 },
];

// Lab 03: no per-instance state. The view counter that lived here counted per process, so with three instances
// behind the router every answer was a different, wrong number. A count shared by all instances belongs in a
// backing service (lab 04 brings Postgres); until then the catalog doesn't pretend to have one.

const app = express();
// /health, /ready, /info and a graceful stop (lab 01); the version comes from APP_VERSION.
const service = lifecycle(app, 'catalog');

// Lab 08: JSON logs carrying the request id, RED metrics at /metrics (observability.ts).
observe(app);

app.get('/products', (_req, res) => {
  res.json(products);
});

app.get('/products/:id', (req, res) => {
  const product = products.find((p) => p.id === req.params.id);
  if (!product) {
    res.status(404).json({ error: `unknown product: ${req.params.id}` });
    return;
  }
  res.json(product);
});

service.listen(PORT);
