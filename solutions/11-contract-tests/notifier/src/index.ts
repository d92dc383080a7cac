// notifier: "sends" a notification for each order (it logs a line and keeps it in memory).
import express from 'express';
import { lifecycle } from './lifecycle.js';
import { log, observe } from './observability.js';

const PORT = Number(process.env.PORT ?? 3000);

interface Notification {
  id: number;
  orderId: string;
  receivedAt: string;
  [detail: string]: unknown;
}

// In memory: lost on restart, and the same order can be notified twice (lab 10).
const notifications: Notification[] = [];

const app = express();
// /health, /ready, /info and a graceful stop (lab 01); the version comes from APP_VERSION.
const service = lifecycle(app, 'notifier');
app.use(express.json());

// Lab 08: JSON logs carrying the request id, RED metrics at /metrics (observability.ts).
observe(app);

app.post('/notifications', (req, res) => {
  const { orderId, ...details } = req.body ?? {};
  if (typeof orderId !== 'string') {
    res.status(400).json({ error: 'expected {orderId: string, ...}' });
    return;
  }
  const notification: Notification = {
    ...details,
    id: notifications.length + 1,
    orderId,
    receivedAt: new Date().toISOString(),
  };
  notifications.push(notification);
  log().info(details, `notify: order ${orderId}`);
  res.status(201).json(notification);
});

app.get('/notifications', (_req, res) => {
  res.json(notifications);
});

service.listen(PORT);
