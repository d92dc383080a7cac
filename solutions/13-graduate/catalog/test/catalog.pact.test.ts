// Lab 11: catalog verified against what its consumers need — every pact in ../pacts whose provider is "catalog"
// (orders writes orders-catalog.json when its tests run). The real catalog runs (test/run-service.ts) on a PostgreSQL of
// this test's own; Pact replays each request a consumer recorded and compares the answer with what that consumer needs.
// A renamed or dropped field, a changed status: the verification fails, before any deploy.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Verifier } from '@pact-foundation/pact';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startPostgres, type TestDatabase } from './postgres.js';
import { runService, type RunningService } from './run-service.js';

const PACTS = fileURLToPath(new URL('../../pacts', import.meta.url));

/** The pact files naming this provider. None is an error: a verification of nothing would pass whatever catalog does. */
function pactsFor(provider: string): string[] {
  const files = readdirSync(PACTS)
    .filter((name) => name.endsWith('.json'))
    .map((name) => join(PACTS, name))
    .filter((file) => (JSON.parse(readFileSync(file, 'utf8')) as { provider?: { name?: string } }).provider?.name === provider);
  if (files.length === 0) throw new Error(`no pact for ${provider} in ${PACTS}: run the consumers' tests first (cd services/orders && npm test)`);
  return files;
}

let db: TestDatabase;
let pool: pg.Pool;
let catalog: RunningService;

beforeAll(async () => {
  db = await startPostgres();
  // catalog applies its migrations itself when it starts, as on the platform.
  catalog = await runService({ DATABASE_URL: db.url });
  pool = new pg.Pool({ connectionString: db.url });
  // pool.end() resolves before its connections have closed; the database stopped right after may still tell one
  // "terminating connection", which an idle connection reports as an error event: expected here, not a failure.
  pool.on('error', () => undefined);
});

afterAll(async () => {
  await catalog?.stop();
  await pool?.end();
  await db?.stop();
});

describe('catalog, as a provider', () => {
  it('gives every consumer what its pact says it needs', async () => {
    await new Verifier({
      provider: 'catalog',
      providerBaseUrl: catalog.url,
      pactUrls: pactsFor('catalog'),
      logLevel: 'warn',
      // The provider states the consumers name, made true in catalog's own database before each interaction.
      stateHandlers: {
        'a product exists': async (params: unknown) => {
          const { id, priceCents } = params as { id: string; priceCents: number };
          await pool.query(
            `INSERT INTO products (id, name, price_cents, stock) VALUES ($1, 'Contract test product', $2, 5)
             ON CONFLICT (id) DO UPDATE SET price_cents = EXCLUDED.price_cents`,
            [id, priceCents],
          );
          return undefined;
        },
        'no product has the id': async (params: unknown) => {
          await pool.query('DELETE FROM products WHERE id = $1', [(params as { id: string }).id]);
          return undefined;
        },
      },
    }).verifyProvider();
  });
});
