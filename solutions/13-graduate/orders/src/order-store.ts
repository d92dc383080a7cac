// Orders in PostgreSQL (lab 04): one table every instance shares, so an order placed by one instance is seen by all,
// and survives any of them. Lab 10: a confirmed order is written with its order-placed message (the outbox), in one
// transaction.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

export interface Order {
  id: string;
  productId: string;
  quantity: number;
  amountCents: number;
  status: 'confirmed' | 'failed';
  paymentId?: string;
  error?: string;
  createdAt: string;
}

interface OrderRow {
  id: string;
  product_id: string;
  quantity: number;
  amount_cents: number;
  status: 'confirmed' | 'failed';
  payment_id: string | null;
  error: string | null;
  created_at: Date;
}

const COLUMNS = 'id, product_id, quantity, amount_cents, status, payment_id, error, created_at';

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    productId: row.product_id,
    quantity: row.quantity,
    amountCents: row.amount_cents,
    status: row.status,
    ...(row.payment_id ? { paymentId: row.payment_id } : {}),
    ...(row.error ? { error: row.error } : {}),
    createdAt: row.created_at.toISOString(),
  };
}

/** A message to publish once the transaction that writes it commits: its topic (the broker's queue) and what it says. */
export interface OutboxMessage {
  topic: string;
  payload: Record<string, unknown>;
}

export class OrderStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Writes the order and, when given, its message to the outbox — in one transaction: both or neither. A crash, or a
   * database that fails between the two, can never leave an order nobody hears of, nor a message about no order. The
   * message gets its id (messageId) here: the relay may publish it more than once, always with this id.
   */
  async add(order: Order, message?: OutboxMessage): Promise<Order> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await client.query<OrderRow>(
        `INSERT INTO orders (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [order.id, order.productId, order.quantity, order.amountCents, order.status, order.paymentId ?? null, order.error ?? null, order.createdAt],
      );
      if (message) {
        const messageId = randomUUID();
        await client.query('INSERT INTO outbox (id, topic, payload) VALUES ($1, $2, $3)', [messageId, message.topic, JSON.stringify({ messageId, ...message.payload })]);
      }
      await client.query('COMMIT');
      return toOrder(result.rows[0]!);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Every order, oldest first. */
  async list(): Promise<Order[]> {
    const result = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders ORDER BY created_at, id`);
    return result.rows.map(toOrder);
  }

  async get(id: string): Promise<Order | undefined> {
    // Not a UUID: no such order (and no query error for Postgres to answer with).
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    const result = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
    return result.rows[0] ? toOrder(result.rows[0]) : undefined;
  }
}
