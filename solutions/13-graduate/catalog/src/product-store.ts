// The catalog's data: products in PostgreSQL (lab 04), read through one small interface so the HTTP layer never
// writes SQL and tests (lab 05) can run it against a real database.
import type pg from 'pg';

export interface Product {
  id: string;
  name: string;
  priceCents: number;
  stock: number;
}

interface ProductRow {
  id: string;
  name: string;
  price_cents: number;
  stock: number;
}

const COLUMNS = 'id, name, price_cents, stock';

function toProduct(row: ProductRow): Product {
  return { id: row.id, name: row.name, priceCents: row.price_cents, stock: row.stock };
}

export class ProductStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Every product, ordered by id (a stable order, whichever instance answers). */
  async list(): Promise<Product[]> {
    const result = await this.pool.query<ProductRow>(`SELECT ${COLUMNS} FROM products ORDER BY id`);
    return result.rows.map(toProduct);
  }

  async get(id: string): Promise<Product | undefined> {
    const result = await this.pool.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = $1`, [id]);
    return result.rows[0] ? toProduct(result.rows[0]) : undefined;
  }
}
