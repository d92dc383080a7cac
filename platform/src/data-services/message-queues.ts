import PgBoss from 'pg-boss';
import pg from 'pg';
import { connectionUrl, type Credentials, type Endpoint } from './credentials.js';

/** One queue of a message broker as operators watch it (RabbitMQ's "Ready", "Unacked" and consumer lag). */
export interface QueueStats {
  name: string;
  /** messages waiting to be worked (pg-boss: created or retry) */
  waiting: number;
  /** handed to a consumer that has not finished them (pg-boss: active) */
  active: number;
  /** given up after their retries (pg-boss: failed), kept until archived */
  failed: number;
  /** how long the oldest message that could be worked now has waited: how far the consumers are behind (0: none waits) */
  lagSeconds: number;
}

/**
 * Installs (or upgrades) pg-boss's schema in a broker instance's database, as the broker's part of provisioning: apps
 * that start side by side then find it there instead of racing to create it, and the platform can watch the queues at
 * once. pg-boss takes an advisory lock for this, so a start while apps are running is safe.
 */
export async function installQueues(endpoint: Endpoint, credentials: Credentials): Promise<void> {
  // No maintenance or cron from the platform's side: the apps' own pg-boss instances do that work.
  const boss = new PgBoss({ connectionString: connectionUrl(credentials, endpoint), supervise: false, schedule: false, max: 1 });
  const failures: Error[] = [];
  boss.on('error', (error) => failures.push(error));
  try {
    await boss.start();
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
  }
  if (failures.length > 0) throw new Error(`its queues could not be installed: ${failures[0]!.message}`);
}

// Read straight from pg-boss 10's tables (its API counts one queue at a time and has no lag); its own internal queues
// (__pgboss__…) are not the apps'.
const STATS_SQL = `
  SELECT q.name,
    count(j.id) FILTER (WHERE j.state < 'active') AS waiting,
    count(j.id) FILTER (WHERE j.state = 'active') AS active,
    count(j.id) FILTER (WHERE j.state = 'failed') AS failed,
    COALESCE(EXTRACT(epoch FROM now() - min(j.created_on) FILTER (WHERE j.state < 'active' AND j.start_after <= now())), 0) AS lag
  FROM pgboss.queue q LEFT JOIN pgboss.job j ON j.name = q.name
  WHERE q.name NOT LIKE '\\_\\_pgboss\\_\\_%'
  GROUP BY q.name ORDER BY q.name`;

export async function readQueues(endpoint: Endpoint, credentials: Credentials): Promise<QueueStats[]> {
  const client = new pg.Client({ ...endpoint, user: credentials.username, password: credentials.password, database: credentials.database, connectionTimeoutMillis: 3000, statement_timeout: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; waiting: string; active: string; failed: string; lag: string }>(STATS_SQL);
    return rows.map((row) => ({ name: row.name, waiting: Number(row.waiting), active: Number(row.active), failed: Number(row.failed), lagSeconds: Math.round(Number(row.lag) * 10) / 10 }));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Keeps the latest figures of every running broker instance's queues, read every few seconds, for views and metrics
 * (which are read synchronously). A server that is down keeps its last figures until it answers again.
 */
export class QueueWatcher {
  private readonly latest = new Map<string, QueueStats[]>();
  private timer?: NodeJS.Timeout;
  private reading = false;

  constructor(private readonly brokers: () => { name: string; endpoint: Endpoint; credentials: Credentials }[], private readonly everyMs = 3000) {}

  start(): void {
    this.timer ??= setInterval(() => void this.read(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  queues(instance: string): QueueStats[] | undefined {
    return this.latest.get(instance);
  }

  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      await Promise.all(this.brokers().map(async ({ name, endpoint, credentials }) => {
        const stats = await readQueues(endpoint, credentials).catch(() => undefined);
        if (stats) this.latest.set(name, stats);
      }));
    } finally {
      this.reading = false;
    }
  }
}
