-- Up Migration
-- Lab 10: the transactional outbox. An order and the message saying it was placed are written in one transaction,
-- so there is never one without the other; the relay publishes the rows not sent yet to the broker, then marks them
-- sent. The row's id is the message id, the same on every copy the relay may publish.
CREATE TABLE outbox (
  id         uuid        PRIMARY KEY,
  topic      text        NOT NULL,
  payload    jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at    timestamptz
);

-- What the relay asks for, over and over: the rows not sent yet, oldest first.
CREATE INDEX outbox_unsent ON outbox (created_at) WHERE sent_at IS NULL;

-- Down Migration
DROP TABLE outbox;
