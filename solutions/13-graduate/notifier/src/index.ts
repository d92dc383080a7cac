// notifier: sends a notification for each order placed. Lab 10: it takes them from the broker — the order-placed
// messages the relay publishes from orders' outbox — instead of being called by orders: an order is placed whether or
// not the notifier is up, and its notification is sent once the notifier is back. A message may come more than once
// (at-least-once delivery), so each one is recorded with its message id, once (notification-store.ts): sent once.
import { randomUUID } from 'node:crypto';
import express from 'express';
import pg from 'pg';
import { ORDER_PLACED, startBroker, type OrderPlaced } from './broker.js';
import { required } from './config.js';
import { lifecycle } from './lifecycle.js';
import { migrate } from './migrate.js';
import { NotificationStore, type Notification } from './notification-store.js';
import { log, observe, partOf } from './observability.js';

const PORT = Number(process.env.PORT ?? 3000);
// Both from the platform's bindings (x-tall.bind): the notifier's own database, and the broker.
const DATABASE_URL = required('DATABASE_URL');
const BROKER_URL = required('BROKER_URL');

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 5, connectionTimeoutMillis: 5000 });
pool.on('error', (error) => console.error(`database connection lost: ${error.message}`));
const notifications = new NotificationStore(pool);

/** Sends the notification (here: a log line) the first time a message id is seen; a copy is acknowledged and dropped. */
async function notify(messageId: string, orderId: string, details: Record<string, unknown>): Promise<Notification | undefined> {
  const sent = await notifications.recordOnce(messageId, orderId, details);
  if (sent) log().info({ messageId, ...details }, `notify: order ${orderId}`);
  else log().info({ messageId }, `order ${orderId}: message ${messageId} seen before, not notified again`);
  return sent;
}

const app = express();
let stopConsuming: (() => Promise<void>) | undefined;
// /health, /ready, /info and a graceful stop (lab 01); ready while its database answers (lab 06); on SIGTERM it also
// stops taking messages and finishes the ones it has (lab 10).
const service = lifecycle(app, 'notifier', { dependencies: () => pool.query('SELECT 1'), stopWork: () => stopConsuming?.() ?? Promise.resolve() });
app.use(express.json());

// Lab 08: JSON logs carrying the request id, RED metrics at /metrics (observability.ts).
observe(app);

// Still open to a direct call (an operator, a test): a notification without a message gets an id of its own, or the
// caller's Idempotency-Key, which makes a repeated call a duplicate.
app.post('/notifications', async (req, res) => {
  const { orderId, ...details } = req.body ?? {};
  if (typeof orderId !== 'string') {
    res.status(400).json({ error: 'expected {orderId: string, ...}' });
    return;
  }
  const key = req.get('idempotency-key');
  const messageId = key ? `key:${key}` : `http:${randomUUID()}`;
  const sent = await notify(messageId, orderId, details);
  res.status(sent ? 201 : 200).json(sent ?? { messageId, orderId, duplicate: true });
});

app.get('/notifications', async (_req, res) => {
  res.json(await notifications.list());
});

app.use((err: Error, req: express.Request, res: express.Response, _next: express.NextFunction) => {
  log().error({ err }, `${req.method} ${req.originalUrl} failed: ${err.message}`);
  res.status(500).json({ error: err.message });
});

/** Takes order-placed messages from the broker, a few at a time; a batch that fails is delivered again (retry). */
async function consume(): Promise<void> {
  const boss = await startBroker(BROKER_URL);
  await boss.work<OrderPlaced>(ORDER_PLACED, { batchSize: 5, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    for (const job of jobs) {
      const { messageId, orderId, requestId, ...details } = job.data;
      await partOf(requestId, () => notify(messageId, orderId, details));
    }
  });
  stopConsuming = () => boss.stop({ graceful: true, wait: true, timeout: 5000 });
  log().info(`consuming ${ORDER_PLACED}`);
}

// Migrations first, then the server; the consumer starts beside it and, while the broker cannot be reached, keeps trying.
migrate(DATABASE_URL).then(
  () => {
    service.listen(PORT);
    const start = (): void => {
      consume().catch((error: Error) => {
        log().warn(`cannot consume ${ORDER_PLACED} yet (${error.message}); trying again in 2 s`);
        setTimeout(start, 2000).unref();
      });
    };
    start();
  },
  (error: Error) => {
    console.error(`migrations failed: ${error.message}`);
    process.exit(1);
  },
);
