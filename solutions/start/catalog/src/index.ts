// catalog: the shop's products. Deliberately naive — the labs make it "tall".
import express from 'express';

// Hard-coded on purpose: lab 01 moves the version to the environment.
const VERSION = '1.0.0';
const PORT = Number(process.env.PORT ?? 3000);
// Where to listen: the platform says (127.0.0.1, so only this machine can reach the service; 0.0.0.0 inside a container).
const HOST = process.env.HOST ?? '127.0.0.1';

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

// Per-instance state: each process counts its own views. Scale out to two instances
// behind the router and watch the number jump around (lab 03).
const views = new Map<string, number>();

const app = express();

app.use((req, res, next) => {
  console.log(`${req.method} ${req.originalUrl}`);
  res.set('X-Version', VERSION);
  next();
});

app.get('/products', (_req, res) => {
  res.json(products);
});

app.get('/products/:id', (req, res) => {
  const product = products.find((p) => p.id === req.params.id);
  if (!product) {
    res.status(404).json({ error: `unknown product: ${req.params.id}` });
    return;
  }
  const count = (views.get(product.id) ?? 0) + 1;
  views.set(product.id, count);
  res.json({ ...product, views: count });
});

app.listen(PORT, HOST, () => {
  console.log(`catalog listening on ${HOST}:${PORT}`);
});
