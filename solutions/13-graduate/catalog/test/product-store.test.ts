// ProductStore against a real PostgreSQL of this test's own (lab 05): the same SQL the service runs, the same
// migrations, a database nobody else uses — so the test can arrange exactly the rows it needs.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import { ProductStore, type Product } from '../src/product-store.js';
import { startPostgres, type TestDatabase } from './postgres.js';

let db: TestDatabase;
let pool: pg.Pool;
let store: ProductStore;

// Rows of the test's own, next to the six the first migration seeds. Their ids sort the same way under any collation.
const mine: Product[] = [
  { id: 'test-a-lamp', name: 'Lava lamp', priceCents: 1234, stock: 7 },
  { id: 'test-b-kite', name: 'Kite', priceCents: 999, stock: 0 },
  { id: 'test-c-yoyo', name: 'Yo-yo', priceCents: 250, stock: 31 },
];

beforeAll(async () => {
  db = await startPostgres();
  await migrate(db.url);
  pool = new pg.Pool({ connectionString: db.url });
  // pool.end() resolves before its connections have closed; the database stopped right after may still tell one
  // "terminating connection", which an idle connection reports as an error event: expected here, not a failure.
  pool.on('error', () => undefined);
  store = new ProductStore(pool);
  // Inserted out of order: the store must sort, not the table.
  for (const product of [mine[2]!, mine[0]!, mine[1]!]) {
    await pool.query('INSERT INTO products (id, name, price_cents, stock) VALUES ($1, $2, $3, $4)', [product.id, product.name, product.priceCents, product.stock]);
  }
});

afterAll(async () => {
  await pool?.end();
  await db?.stop();
});

describe('ProductStore against PostgreSQL', () => {
  it('lists every product, ordered by id', async () => {
    const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM products');
    const list = await store.list();
    expect(list).toHaveLength(Number(rows[0]!.count));
    expect(list.filter((product) => product.id.startsWith('test-'))).toEqual(mine);
    const ids = list.map((product) => product.id);
    const { rows: sorted } = await pool.query<{ id: string }>('SELECT id FROM products ORDER BY id');
    expect(ids).toEqual(sorted.map((row) => row.id));
  });

  it('gets one product by id, every field as stored', async () => {
    expect(await store.get('test-a-lamp')).toEqual(mine[0]);
    expect(await store.get('test-c-yoyo')).toEqual(mine[2]);
  });

  it('gets undefined for an id it does not have', async () => {
    expect(await store.get('no-such-product')).toBeUndefined();
  });

  it('reads the seeded products the migration made', async () => {
    expect(await store.get('tall-mug')).toEqual({ id: 'tall-mug', name: '"You must be this tall" mug', priceCents: 1400, stock: 40 });
  });
});
