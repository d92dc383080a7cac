-- Up Migration
-- Orders, moved out of the service's memory (lab 04): one row each, whichever instance placed it.
CREATE TABLE orders (
  id           uuid PRIMARY KEY,
  product_id   text        NOT NULL,
  quantity     integer     NOT NULL CHECK (quantity > 0),
  amount_cents integer     NOT NULL CHECK (amount_cents >= 0),
  status       text        NOT NULL CHECK (status IN ('confirmed', 'failed')),
  payment_id   text,
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_created_at ON orders (created_at);

-- Down Migration
DROP TABLE orders;
