// payment: a pretend payment provider that is slow and sometimes fails, on demand.
import { randomUUID } from 'node:crypto';
import express from 'express';
import { required } from './config.js';
import { lifecycle } from './lifecycle.js';
import { observe } from './observability.js';

const PORT = Number(process.env.PORT ?? 3000);
// How long each payment takes, and the share of payments that fail (0 = none, 1 = all).
const LATENCY_MS = Number(process.env.PAYMENT_LATENCY_MS ?? 50);
const FAILURE_RATE = Number(process.env.PAYMENT_FAILURE_RATE ?? 0);
// Callers must show this environment's API key, as with a real payment provider (lab 02). A secret: never in the code.
const API_KEY = required('PAYMENT_API_KEY');

interface Payment {
  paymentId: string;
  orderId: string;
  amountCents: number;
  status: 'approved';
}

// Every charge, in memory. Nothing stops the same order from being charged twice (lab 07).
const payments: Payment[] = [];

const app = express();
// /health, /ready, /info and a graceful stop (lab 01); the version comes from APP_VERSION.
const service = lifecycle(app, 'payment');
app.use(express.json());

// Lab 08: JSON logs carrying the request id, RED metrics at /metrics (observability.ts).
observe(app);

// Everything below needs the key; /health, /ready and /info (registered earlier) do not.
app.use((req, res, next) => {
  if (req.get('authorization') !== `Bearer ${API_KEY}`) {
    res.status(401).json({ error: 'missing or wrong API key: send "Authorization: Bearer <PAYMENT_API_KEY>"' });
    return;
  }
  next();
});

app.post('/payments', async (req, res) => {
  const { orderId, amountCents } = req.body ?? {};
  if (typeof orderId !== 'string' || !Number.isInteger(amountCents) || amountCents <= 0) {
    res.status(400).json({ error: 'expected {orderId: string, amountCents: positive integer}' });
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, LATENCY_MS));
  if (Math.random() < FAILURE_RATE) {
    res.status(502).json({ error: 'payment provider unavailable' });
    return;
  }
  const payment: Payment = { paymentId: randomUUID(), orderId, amountCents, status: 'approved' };
  payments.push(payment);
  res.status(201).json(payment);
});

app.get('/payments', (_req, res) => {
  res.json(payments);
});

service.listen(PORT);
