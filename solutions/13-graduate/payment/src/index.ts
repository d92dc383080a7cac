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

// Every charge, in memory: payment stands in for an external provider (its ledger is the provider's), so it runs one
// instance (compose.yaml). Lab 07: a charge made with an idempotency key is made once. A caller that repeats a
// request with the same key — because the answer to the first was lost — gets the first answer again, and is not
// charged again (as Stripe's Idempotency-Key header works). Keys are kept with their request, so the same key with a
// different request is refused; a request still being processed is waited for, not processed twice.
const payments: Payment[] = [];
const byKey = new Map<string, { request: string; answer: Promise<{ status: number; body: unknown }> }>();

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
  const key = req.get('idempotency-key');
  if (key === undefined) {
    const { status, body } = await charge(orderId, amountCents);
    res.status(status).json(body);
    return;
  }
  const request = JSON.stringify([orderId, amountCents]);
  let known = byKey.get(key);
  if (known && known.request !== request) {
    res.status(422).json({ error: `idempotency key ${key} was used for another payment request` });
    return;
  }
  if (!known) {
    known = { request, answer: charge(orderId, amountCents) };
    byKey.set(key, known);
  }
  const { status, body } = await known.answer;
  // A failed charge charged nothing: the next try with this key may charge.
  if (status >= 500 && byKey.get(key) === known) byKey.delete(key);
  res.status(status).json(body);
});

async function charge(orderId: string, amountCents: number): Promise<{ status: number; body: unknown }> {
  await new Promise((resolve) => setTimeout(resolve, LATENCY_MS));
  if (Math.random() < FAILURE_RATE) return { status: 502, body: { error: 'payment provider unavailable' } };
  const payment: Payment = { paymentId: randomUUID(), orderId, amountCents, status: 'approved' };
  payments.push(payment);
  return { status: 201, body: payment };
}

app.get('/payments', (_req, res) => {
  res.json(payments);
});

service.listen(PORT);
