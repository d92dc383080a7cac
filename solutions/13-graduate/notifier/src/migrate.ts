// Schema changes as versioned files in migrations/, applied at start-up before the service takes traffic (lab 04).
// node-pg-migrate records what ran in the pgmigrations table and holds a PostgreSQL advisory lock while it runs, so
// replicas starting together apply each migration once and the others wait, then find nothing left to do.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runner } from 'node-pg-migrate';

/**
 * Where the migration files are. The process runtime runs src/index.ts in the service's folder; the Docker image runs
 * the bundle /app/index.cjs with /app as its working directory and the files copied to /app/migrations. Both are
 * "migrations/ beside the working directory"; MIGRATIONS_DIR overrides it (e.g. for tests started elsewhere).
 */
export function migrationsDir(): string {
  return resolve(process.env.MIGRATIONS_DIR ?? 'migrations');
}

/** Runs the service's migrations that have not run yet against `databaseUrl`; rejects when one fails (the service must not start). */
export async function migrate(databaseUrl: string): Promise<void> {
  const dir = migrationsDir();
  if (!existsSync(dir)) throw new Error(`no migrations folder at ${dir}: run the service from its own folder, or set MIGRATIONS_DIR`);
  await runner({
    databaseUrl,
    dir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    // One transaction for the whole batch: a failing migration leaves the schema as it was.
    singleTransaction: true,
    // Replicas starting together: the others wait for the lock (node-pg-migrate's default is to fail at once).
    advisoryLockMode: 'wait',
    // What ran, one line each ("### MIGRATION 1732600000000_products (UP) ###", "No migrations to run!"); never the URL.
    logger: {
      info: (message: string) => console.log(`migrations: ${message}`),
      warn: (message: string) => console.warn(`migrations: ${message}`),
      error: (message: string) => console.error(`migrations: ${message}`),
    },
  });
}
