// payment: a pretend payment provider that is slow and sometimes fails, on demand.
import { randomUUID } from 'node:crypto';
import express from 'express';

// Hard-coded on purpose: lab 01 moves the version to the environment.
const VERSION = '1.0.0';
const PORT = Number(process.env.PORT ?? 3000);
// Where to listen: the platform says (127.0.0.1, so only this machine can reach the service; 0.0.0.0 inside a container).
const HOST = process.env.HOST ?? '127.0.0.1';
// How long each payment takes, and the share of payments that fail (0 = none, 1 = all).
const LATENCY_MS = Number(process.env.PAYMENT_LATENCY_MS ?? 50);
const FAILURE_RATE = Number(process.env.PAYMENT_FAILURE_RATE ?? 0);

interface Payment {
  paymentId: string;
  orderId: string;
  amountCents: number;
  status: 'approved';
}

// Every charge, in memory. Nothing stops the same order from being charged twice (lab 07).
const payments: Payment[] = [];

const app = express();
app.use(express.json());

app.use((req, res, next) => {
  console.log(`${req.method} ${req.originalUrl}`);
  res.set('X-Version', VERSION);
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

app.listen(PORT, HOST, () => {
  console.log(`payment listening on ${HOST}:${PORT}`);
});
