-- Up Migration
-- The catalog's products, moved out of the service's memory (lab 04) and seeded with the six the shop had there.
CREATE TABLE products (
  id          text PRIMARY KEY,
  name        text    NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  stock       integer NOT NULL CHECK (stock >= 0)
);

INSERT INTO products (id, name, price_cents, stock) VALUES
  ('tall-mug', '"You must be this tall" mug', 1400, 40),
  ('breaker-stickers', 'Circuit breaker sticker pack', 600, 200),
  ('chaos-monkey', 'Chaos Monkey plush', 2500, 12),
  ('twelve-factor-poster', 'Twelve-Factor App poster', 1800, 30),
  ('blue-green-hoodie', 'Blue-green deploy hoodie', 4900, 15),
  ('pager-duck', 'On-call rubber duck', 900, 60);

-- Down Migration
DROP TABLE products;
