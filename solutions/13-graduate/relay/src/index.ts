// relay: the other half of orders' transactional outbox (lab 10). It reads the messages orders wrote beside its orders
// (the outbox table, in orders-db) and have not been sent yet, publishes them to the broker, then marks them sent.
//
// At least once: a relay that dies after publishing and before marking leaves the rows unsent, and the next relay
// publishes them again — the same messages, with the same message ids; the consumer drops the copies. Never "at most
// once": marking first and publishing after would lose a message whenever the relay dies in between.
import express from 'express';
import pg from 'pg';
import type PgBoss from 'pg-boss';
import { startBroker } from './broker.js';
import { required } from './config.js';
import { lifecycle } from './lifecycle.js';
import { log, observe, partOf } from './observability.js';

const PORT = Number(process.env.PORT ?? 3000);
// From the platform's bindings (x-tall.bind): orders' database, where the outbox is, and the broker.
const DATABASE_URL = required('DATABASE_URL');
const BROKER_URL = required('BROKER_URL');
/** How many rows one pass publishes, and how long the relay rests when there was nothing to send. */
const BATCH = 20;
const IDLE_MS = 500;

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2, connectionTimeoutMillis: 5000 });
pool.on('error', (error) => console.error(`database connection lost: ${error.message}`));

interface OutboxRow {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
}

/**
 * One pass: the oldest unsent rows, locked (SKIP LOCKED: a second relay takes other rows, never the same ones at the
 * same time), published one by one, then marked sent — all in one transaction, so a relay that dies anywhere in
 * between leaves them unsent for the next pass. Returns how many it published.
 */
async function relayOnce(boss: PgBoss): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<OutboxRow>('SELECT id, topic, payload FROM outbox WHERE sent_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED', [BATCH]);
    for (const row of rows) {
      await boss.send(row.topic, row.payload);
      partOf(row.payload.requestId, () => log().info({ messageId: row.id }, `published ${row.topic} ${row.id}`));
    }
    if (rows.length > 0) await client.query('UPDATE outbox SET sent_at = now() WHERE id = ANY($1)', [rows.map((row) => row.id)]);
    await client.query('COMMIT');
    return rows.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let stopping = false;

/** Relays until told to stop; a failed pass (the database or the broker down) is tried again a little later. */
async function relay(): Promise<void> {
  let boss: PgBoss | undefined;
  while (!stopping) {
    try {
      boss ??= await startBroker(BROKER_URL);
      if ((await relayOnce(boss)) === 0) await sleep(IDLE_MS);
    } catch (error) {
      log().warn(`relay pass failed (${(error as Error).message}); trying again in 1 s`);
      await sleep(1000);
    }
  }
  await boss?.stop({ graceful: true, wait: true, timeout: 5000 });
}

const app = express();
let relaying: Promise<void> = Promise.resolve();
// /health, /ready, /info and a graceful stop (lab 01); ready while orders' database answers (lab 06); on SIGTERM it
// finishes the pass it is in, then stops.
const service = lifecycle(app, 'relay', {
  dependencies: () => pool.query('SELECT 1'),
  stopWork: () => {
    stopping = true;
    return relaying;
  },
});
// Lab 08: JSON logs, RED metrics at /metrics (observability.ts).
observe(app);

service.listen(PORT);
relaying = relay();
