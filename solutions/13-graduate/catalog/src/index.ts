// catalog: the shop's products, kept in PostgreSQL (lab 04): every instance reads the same rows, and they outlive any
// instance.
import express from 'express';
import pg from 'pg';
import { lifecycle } from './lifecycle.js';
import { log, observe } from './observability.js';
import { migrate } from './migrate.js';
import { ProductStore } from './product-store.js';

const PORT = Number(process.env.PORT ?? 3000);
// The database the platform bound to this service (x-tall.bind in compose.yaml): its URL, credentials included, comes
// from the environment only. Never written in the code or the compose file.
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.error('DATABASE_URL is not set: bind a PostgreSQL instance to catalog (x-tall.bind in compose.yaml)');
  process.exit(1);
}

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 5, connectionTimeoutMillis: 5000 });
// An idle connection that breaks (the database restarted) is replaced on the next query; it must not end the process.
pool.on('error', (error) => console.error(`database connection lost: ${error.message}`));
const store = new ProductStore(pool);

const app = express();
// /health, /ready, /info and a graceful stop (lab 01); the version comes from APP_VERSION. Ready only while the
// database answers (lab 06): without it this instance can serve nothing, but restarting it would not bring it back.
const service = lifecycle(app, 'catalog', { dependencies: () => pool.query('SELECT 1') });

// Lab 08: JSON logs carrying the request id, RED metrics at /metrics (observability.ts).
observe(app);

app.get('/products', async (_req, res) => {
  res.json(await store.list());
});

app.get('/products/:id', async (req, res) => {
  const product = await store.get(req.params.id);
  if (!product) {
    res.status(404).json({ error: `unknown product: ${req.params.id}` });
    return;
  }
  res.json(product);
});

// A failed query (the database is down) is a 503 with the reason, not an HTML stack trace.
app.use((err: Error, req: express.Request, res: express.Response, _next: express.NextFunction) => {
  log().error({ err }, `${req.method} ${req.originalUrl} failed: ${err.message}`);
  res.status(503).json({ error: `the catalog's database did not answer: ${err.message}` });
});

// Migrations first: an instance takes traffic only once the schema it needs is there. One that cannot migrate exits,
// and the platform restarts it (the database may still be starting).
migrate(DATABASE_URL).then(
  () => service.listen(PORT),
  (error: Error) => {
    console.error(`migrations failed: ${error.message}`);
    process.exit(1);
  },
);
