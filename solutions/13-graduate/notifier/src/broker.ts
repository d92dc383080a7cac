// Lab 10: the broker this service talks to — pg-boss over the PostgreSQL the platform's `broker` offering runs. The
// platform binds it (x-tall.bind in compose.yaml) and gives its URL as BROKER_URL; pg-boss's schema is installed by the
// platform when it provisions the instance. The same file in the relay (the publisher) and the notifier (the consumer).
import PgBoss from 'pg-boss';
import { log } from './observability.js';

/** The queue of the orders placed: one message per order, published by the relay from orders' outbox. */
export const ORDER_PLACED = 'order-placed';

/** What an order-placed message carries. `messageId` is the outbox row's id: the same on every copy of the message. */
export interface OrderPlaced {
  messageId: string;
  orderId: string;
  productId: string;
  quantity: number;
  amountCents: number;
  /** the request that placed the order (lab 08): the consumer logs it, so one id still follows the order end to end */
  requestId?: string;
}

/**
 * The queue's settings, the same wherever it is created. A message a consumer took and did not finish — it was killed
 * — comes back once it expires (expireInSeconds after it was taken; pg-boss looks every maintenance interval), up to
 * retryLimit times. pg-boss 10's default would keep it away for 15 minutes.
 */
const QUEUE: PgBoss.Queue = { name: ORDER_PLACED, retryLimit: 20, retryDelay: 1, expireInSeconds: 20 };

export async function startBroker(url: string): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    max: 4,
    // no cron schedules here; the maintenance that puts expired messages back runs every 5 s in one of the apps
    schedule: false,
    maintenanceIntervalSeconds: 5,
  });
  // The broker may be down for a while (its server restarts): pg-boss says so here and keeps trying; it must not end the process.
  boss.on('error', (error: Error) => log().warn(`broker: ${error.message}`));
  await boss.start();
  try {
    await boss.createQueue(ORDER_PLACED, QUEUE);
  } catch (error) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw error;
  }
  return boss;
}
