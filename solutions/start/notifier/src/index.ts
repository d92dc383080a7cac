// notifier: "sends" a notification for each order (it logs a line and keeps it in memory).
import express from 'express';

// Hard-coded on purpose: lab 01 moves the version to the environment.
const VERSION = '1.0.0';
const PORT = Number(process.env.PORT ?? 3000);
// Where to listen: the platform says (127.0.0.1, so only this machine can reach the service; 0.0.0.0 inside a container).
const HOST = process.env.HOST ?? '127.0.0.1';

interface Notification {
  id: number;
  orderId: string;
  receivedAt: string;
  [detail: string]: unknown;
}

// In memory: lost on restart, and the same order can be notified twice (lab 10).
const notifications: Notification[] = [];

const app = express();
app.use(express.json());

app.use((req, res, next) => {
  console.log(`${req.method} ${req.originalUrl}`);
  res.set('X-Version', VERSION);
  next();
});

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
  console.log(`notify: order ${orderId} ${JSON.stringify(details)}`);
  res.status(201).json(notification);
});

app.get('/notifications', (_req, res) => {
  res.json(notifications);
});

app.listen(PORT, HOST, () => {
  console.log(`notifier listening on ${HOST}:${PORT}`);
});
