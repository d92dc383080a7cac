-- Up Migration
-- Lab 10: the notifications sent, in the notifier's own database (notifier-db), no longer in its memory. A message
-- can be delivered more than once (at-least-once: a consumer that dies before it acknowledges gets it again), so each
-- notification keeps the id of the message that caused it, and a message id is recorded once: the unique constraint
-- is the deduplication, whichever instance gets the copy and however long after the first.
CREATE TABLE notifications (
  id          bigserial   PRIMARY KEY,
  message_id  text        NOT NULL UNIQUE,
  order_id    text        NOT NULL,
  details     jsonb       NOT NULL DEFAULT '{}',
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE notifications;
