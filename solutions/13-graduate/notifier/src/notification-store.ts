// Lab 10: the notifications sent, in PostgreSQL (notifier-db): every instance sees them all, a restart loses none, and
// a message delivered twice is recorded — and sent — once.
import type pg from 'pg';

export interface Notification {
  id: number;
  messageId: string;
  orderId: string;
  receivedAt: string;
  [detail: string]: unknown;
}

interface NotificationRow {
  id: string;
  message_id: string;
  order_id: string;
  details: Record<string, unknown>;
  received_at: Date;
}

const COLUMNS = 'id, message_id, order_id, details, received_at';

function toNotification(row: NotificationRow): Notification {
  return { ...row.details, id: Number(row.id), messageId: row.message_id, orderId: row.order_id, receivedAt: row.received_at.toISOString() };
}

export class NotificationStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Records the notification for message `messageId` unless it is recorded already: one statement, so two copies of
   * a message handled at the same moment (two instances) still make one row. Returns it when it is new, undefined
   * when the message was seen before (a duplicate: nothing to send).
   */
  async recordOnce(messageId: string, orderId: string, details: Record<string, unknown>): Promise<Notification | undefined> {
    const result = await this.pool.query<NotificationRow>(
      `INSERT INTO notifications (message_id, order_id, details) VALUES ($1, $2, $3)
       ON CONFLICT (message_id) DO NOTHING RETURNING ${COLUMNS}`,
      [messageId, orderId, JSON.stringify(details)],
    );
    return result.rows[0] ? toNotification(result.rows[0]) : undefined;
  }

  /** Every notification, oldest first. */
  async list(): Promise<Notification[]> {
    const result = await this.pool.query<NotificationRow>(`SELECT ${COLUMNS} FROM notifications ORDER BY id`);
    return result.rows.map(toNotification);
  }
}
