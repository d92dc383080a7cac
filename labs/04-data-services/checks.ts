// Lab 04 · Data service operations — the checks. They run against a throwaway copy of your services/, with data-service
// instances of its own (new, empty databases each run): what is in them got there through your services.
import { randomBytes, randomInt } from 'node:crypto';
import { defineChecks, describeAnswer as describe, fail, type CheckContext, type HttpAnswer } from '../../platform/src/labs/check-api.js';
import { credentialsIn } from './credentials-scan.js';

/** The six products the shop had in memory: the catalog's first migration seeds them. */
const SEEDED = ['tall-mug', 'breaker-stickers', 'chaos-monkey', 'twelve-factor-poster', 'blue-green-hoodie', 'pager-duck'];

interface DataInstance {
  name: string;
  service: string;
  plan: string;
  declared: boolean;
  server: string;
  lastOperation: { type: string; state: string; description: string };
  bindings: { app: string }[];
}

interface Order {
  id: string;
  productId: string;
  quantity: number;
  amountCents: number;
}

async function dataInstances(ctx: CheckContext): Promise<DataInstance[]> {
  return (await ctx.tallJson<{ instances: DataInstance[] }>(['services'])).instances;
}

/** The one instance bound to `app`; a failure saying what is wrong otherwise. */
async function boundInstance(ctx: CheckContext, app: string): Promise<DataInstance> {
  const bound = (await dataInstances(ctx)).filter((instance) => instance.bindings.some((binding) => binding.app === app));
  if (bound.length === 0) fail(`${app} is bound to no data-service instance ("tall services" shows none bound to it); expected a PostgreSQL instance declared under the top-level x-tall.services of compose.yaml and named in ${app}'s x-tall.bind`);
  if (bound.length > 1) fail(`${app} is bound to ${bound.map((instance) => instance.name).join(' and ')}; expected one database (DATABASE_URL is the first binding's, so the others would go unused)`);
  return bound[0]!;
}

async function scaleTo(ctx: CheckContext, service: string, count: number): Promise<void> {
  const scaled = await ctx.tallJson<{ ready: number }>(['scale', service, String(count)]);
  if (scaled.ready < count) fail(`after "tall scale ${service} ${count}", ${scaled.ready} of ${count} instances are ready`);
}

/** GETs `path` until `instances` different instances have answered (or enough tries were made), so each is asked. */
async function fromEvery(ctx: CheckContext, path: string, instances: number): Promise<HttpAnswer[]> {
  const answers: HttpAnswer[] = [];
  const by = new Set<string>();
  while (answers.length < instances * 4 && (by.size < instances || answers.length < instances)) {
    const answer = await ctx.http.get(path);
    answers.push(answer);
    by.add(answer.instance ?? '?');
  }
  return answers;
}

async function productIds(ctx: CheckContext): Promise<string[]> {
  const answer = await ctx.http.get('/catalog/products');
  const list = answer.json as { id?: unknown }[] | undefined;
  if (answer.status !== 200 || !Array.isArray(list)) fail(`GET /catalog/products answered ${describe(answer)}; expected 200 with the list of products`);
  return list.map((product) => String(product?.id));
}

async function placeOrder(ctx: CheckContext, products: string[]): Promise<Order> {
  const productId = products[randomInt(products.length)]!;
  const quantity = 1 + randomInt(7);
  const answer = await ctx.http.post('/orders/orders', { productId, quantity }, { timeoutMs: 15_000 });
  const order = answer.json as Partial<Order> | undefined;
  if (answer.status !== 201 || typeof order?.id !== 'string') fail(`POST /orders/orders for ${quantity} × ${productId} answered ${describe(answer)}; expected 201 with the order and its id`);
  return { id: order.id, productId, quantity, amountCents: Number(order.amountCents) };
}

/** What differs between an order as placed and as read back; undefined when it is the same order. */
function differs(expected: Order, answer: HttpAnswer): string | undefined {
  if (answer.status !== 200) return `answered ${describe(answer)}`;
  const got = (answer.json ?? {}) as Partial<Order>;
  const wrong = (['id', 'productId', 'quantity', 'amountCents'] as const).filter((field) => got[field] !== expected[field]);
  return wrong.length ? `came back with ${wrong.map((field) => `${field} ${JSON.stringify(got[field])} (placed: ${JSON.stringify(expected[field])})`).join(', ')}` : undefined;
}

/** Every order must be readable, the same, from every orders instance that answers. */
async function expectOrders(ctx: CheckContext, orders: Order[], instances: number, when: string): Promise<Set<string>> {
  const seenBy = new Set<string>();
  for (const order of orders) {
    for (const answer of await fromEvery(ctx, `/orders/orders/${order.id}`, instances)) {
      const problem = differs(order, answer);
      if (problem) fail(`${when}, GET /orders/orders/${order.id} (${order.quantity} × ${order.productId}) ${problem}, from ${answer.instance ?? '?'}; expected the order as it was placed, from every instance. Orders kept in an instance's memory are lost on restart and never seen by the other instances: keep them in the database bound to orders.`);
      seenBy.add(answer.instance ?? '?');
    }
  }
  if (seenBy.size < instances) fail(`${when}, only ${[...seenBy].join(', ')} answered; expected ${instances} orders instances to share the requests`);
  return seenBy;
}

async function readyCount(ctx: CheckContext, service: string): Promise<number> {
  return (await ctx.services()).find((candidate) => candidate.name === service)?.ready ?? 0;
}

export default defineChecks({
  checks: [
    {
      name: 'databases-bound',
      title: 'catalog and orders are each bound to a PostgreSQL instance that the compose file declares, so "tall up" provisions and binds it',
      points: 2,
      timeout: '30s',
      hints: [
        'See what the platform offers and has: "npx tall marketplace", "npx tall services". A database declared in compose.yaml is created and bound by "tall up" itself, in every environment, on every machine.',
        'At the top level of compose.yaml, an "x-tall:" key with "services:" declares instances (name: { service: postgres, plan: small }); under a service\'s own "x-tall:", "bind: [name]" binds one to it.',
        'Add at the top level:\n  x-tall:\n    services:\n      catalog-db: { service: postgres, plan: small }\n      orders-db: { service: postgres, plan: small }\nand under catalog\'s x-tall "bind: [catalog-db]", under orders\' x-tall "bind: [orders-db]". Then "npx tall down && npx tall up" and "npx tall services".',
      ],
      async run(ctx) {
        const instances = await dataInstances(ctx);
        const lines: string[] = [];
        const problems: string[] = [];
        for (const app of ['catalog', 'orders']) {
          const bound = instances.filter((instance) => instance.bindings.some((binding) => binding.app === app));
          if (bound.length === 0) {
            problems.push(`${app} is bound to no data-service instance`);
            continue;
          }
          for (const instance of bound) {
            if (instance.service !== 'postgres') problems.push(`${app} is bound to ${instance.name}, a ${instance.service} instance; expected postgres`);
            else if (instance.lastOperation.state !== 'succeeded' || instance.server !== 'running') problems.push(`${app}'s ${instance.name}: ${instance.lastOperation.type} ${instance.lastOperation.state} (${instance.lastOperation.description}), server ${instance.server}; expected a running instance`);
            else if (!instance.declared) problems.push(`${app}'s ${instance.name} was created by hand, not declared in compose.yaml: a new environment or a classmate's machine would not have it`);
          }
          if (bound.length > 1) problems.push(`${app} is bound to ${bound.map((instance) => instance.name).join(' and ')}; expected one database (DATABASE_URL is the first binding's)`);
          lines.push(`${app} ← ${bound.map((instance) => `${instance.name} (${instance.service}, plan ${instance.plan})`).join(', ')}`);
        }
        if (problems.length) fail(`${problems.join('\n')}\nExpected: PostgreSQL instances declared under the top-level x-tall.services of compose.yaml, each named in the x-tall.bind of the service that owns it ("tall services" shows them and their bindings).`);
        return lines.join('; ');
      },
    },
    {
      name: 'no-credentials-in-code',
      title: 'no database URL or password is written in the code, the compose file or an environment file: the binding gives DATABASE_URL',
      points: 1,
      timeout: '20s',
      hints: [
        'A database password is a secret: where is yours written? The platform gives each bound service DATABASE_URL; nothing else should know it.',
        'Look for "postgres://" (or "postgresql://") with a user:password@ in services/, a "password:" literal, and a DATABASE_URL set in compose.yaml or services/environments/*.env.',
        'Read process.env.DATABASE_URL and refuse to start without it (no fallback URL in the code); remove any DATABASE_URL from compose.yaml\'s environment: the binding (x-tall.bind) sets it.',
      ],
      async run(ctx) {
        const problems = credentialsIn(ctx.servicesDir);
        for (const service of ctx.compose()) {
          for (const [key, value] of Object.entries(service.environment)) {
            if (key === 'DATABASE_URL' || /^PG(PASSWORD|USER|HOST|DATABASE)$/.test(key) || (/PASSWORD/i.test(key) && value)) {
              problems.push(`compose.yaml: ${service.name} sets ${key} in its environment; the binding gives ${service.name} its DATABASE_URL (x-tall.bind)`);
            }
          }
        }
        if (problems.length) fail(`${problems.slice(0, 8).join('\n')}${problems.length > 8 ? `\n(and ${problems.length - 8} more)` : ''}\nExpected no database URL or password written anywhere in services/: a service reads DATABASE_URL, which the platform sets from its binding.`);
        return 'no database URL, password or DATABASE_URL setting found in services/';
      },
    },
    {
      name: 'catalog-reads-its-database',
      title: 'catalog serves the products in its database: one the check adds appears on every instance, and goes when the check deletes it',
      points: 2,
      timeout: '60s',
      hints: [
        'The catalog still answers from the list in its code. Move the products into the database bound to it: a migration creates the table products and inserts the six, and every request reads the table.',
        'Use a migration library (the lab uses node-pg-migrate): migrations/<number>_products.sql creates "products" (id, name, price_cents, stock) and seeds the six products; src/migrate.ts runs it at start-up, before the catalog listens; src/product-store.ts reads the table with pg.',
        'GET /products: SELECT id, name, price_cents, stock FROM products ORDER BY id, answered as { id, name, priceCents, stock }. GET /products/:id: the same WHERE id = $1, 404 when there is no row. No copy in memory: the check adds and deletes a row behind the catalog\'s back.',
      ],
      async run(ctx) {
        const instance = await boundInstance(ctx, 'catalog');
        const listed = await productIds(ctx);
        const missing = SEEDED.filter((id) => !listed.includes(id));
        if (missing.length) fail(`GET /catalog/products lacks ${missing.join(', ')}; expected the six products of the shop, seeded by the catalog's first migration`);

        const columns = await ctx.sql<{ table_schema: string; column_name: string }>(instance.name, "SELECT table_schema, column_name FROM information_schema.columns WHERE table_name = 'products' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY ordinal_position");
        if (columns.length === 0) fail(`${instance.name}, the database bound to catalog, has no table "products"; expected the catalog's migration to create it (and seed the six products) when the catalog starts`);
        const schema = columns[0]!.table_schema;
        const names = columns.filter((column) => column.table_schema === schema).map((column) => column.column_name);
        const pick = (pattern: RegExp) => names.find((name) => pattern.test(name));
        const column = { id: pick(/^id$/i), name: pick(/^(name|title)$/i) ?? pick(/name/i), price: pick(/price/i), stock: pick(/stock|quantity|inventory/i) };
        const absent = Object.entries(column).filter(([, name]) => !name).map(([what]) => what);
        if (absent.length) fail(`table products in ${instance.name} has the columns ${names.join(', ')}; the check found no column for ${absent.join(', ')} (expected e.g. id, name, price_cents, stock)`);

        await scaleTo(ctx, 'catalog', 2);
        const product = { id: `check-${randomBytes(4).toString('hex')}`, name: `Check item ${randomBytes(3).toString('hex')}`, priceCents: 100 + randomInt(9900), stock: 1 + randomInt(500) };
        const table = `"${schema}"."products"`;
        await ctx.sql(instance.name, `INSERT INTO ${table} ("${column.id}", "${column.name}", "${column.price}", "${column.stock}") VALUES ($1, $2, $3, $4)`, [product.id, product.name, product.priceCents, product.stock]);
        try {
          const seenBy = new Set<string>();
          for (const answer of await fromEvery(ctx, `/catalog/products/${product.id}`, 2)) {
            const got = (answer.json ?? {}) as Record<string, unknown>;
            if (answer.status !== 200 || got.name !== product.name || got.priceCents !== product.priceCents || got.stock !== product.stock) {
              fail(`the check added ${JSON.stringify(product)} to table products in ${instance.name}; GET /catalog/products/${product.id} answered ${describe(answer)} from ${answer.instance ?? '?'}. Expected 200 with that product from every catalog instance: the catalog must read its database, not a list in its code or memory.`);
            }
            seenBy.add(answer.instance ?? '?');
          }
          if (!(await productIds(ctx)).includes(product.id)) fail(`GET /catalog/products does not list ${product.id}, which the check added to table products; GET /products must read the table too`);
          await ctx.sql(instance.name, `DELETE FROM ${table} WHERE "${column.id}" = $1`, [product.id]);
          for (const answer of await fromEvery(ctx, `/catalog/products/${product.id}`, 2)) {
            if (answer.status !== 404) fail(`the check deleted ${product.id} from table products, but GET /catalog/products/${product.id} answered ${describe(answer)} from ${answer.instance ?? '?'}; expected 404: a copy kept in memory goes stale`);
          }
          return `a product the check added to ${instance.name} was served by ${[...seenBy].sort().join(' and ')}, and was gone (404) once deleted`;
        } finally {
          await ctx.sql(instance.name, `DELETE FROM ${table} WHERE "${column.id}" = $1`, [product.id]).catch(() => undefined);
        }
      },
    },
    {
      name: 'orders-survive-restart',
      title: 'orders are kept in the database: every orders instance sees them, and they outlive a killed instance and a "tall down" + "tall up"',
      points: 3,
      timeout: '150s',
      allowRouterFaults: true,
      hints: [
        'Place an order, then "npx tall down && npx tall up" and GET /orders/orders: it is gone. Scale orders to 2 and ask for one order a few times: one instance has never heard of it.',
        'Keep orders in the database bound to orders: a migration creates an orders table (id, product_id, quantity, amount_cents, status, payment_id, error, created_at) at start-up; POST /orders inserts, GET /orders and GET /orders/:id select. No Map in memory.',
        'Like the catalog: orders/migrations/<number>_orders.sql, src/migrate.ts (node-pg-migrate\'s runner, before listening), src/order-store.ts with a pg.Pool from DATABASE_URL (add, list, get: WHERE id = $1, 404 when there is no row).',
      ],
      async run(ctx) {
        await boundInstance(ctx, 'orders');
        const products = await productIds(ctx);
        await scaleTo(ctx, 'orders', 2);
        const orders: Order[] = [];
        for (let i = 0; i < 3; i++) orders.push(await placeOrder(ctx, products));
        await expectOrders(ctx, orders, 2, 'with 2 orders instances');

        // A killed instance: whatever it had in memory is gone; the platform starts a new one.
        const victim = (await ctx.instances('orders')).find((instance) => instance.state === 'running');
        if (!victim) fail('no running orders instance to kill');
        const kill = await ctx.tall(['kill', victim.id]);
        if (kill.code !== 0) fail(`"tall kill ${victim.id}" failed: ${(kill.stderr || kill.stdout).trim()}`);
        await ctx.waitFor(`${victim.id} to be restarted and both orders instances ready`, async () => {
          const now = (await ctx.instances('orders')).find((instance) => instance.id === victim.id);
          return now && (now.restarts ?? 0) > (victim.restarts ?? 0) && (await readyCount(ctx, 'orders')) >= 2;
        }, 60_000);
        await expectOrders(ctx, orders, 2, `after "tall kill ${victim.id}"`);

        // The whole shop stopped and started again, as at the end of a workshop day.
        const port = new URL(ctx.routerUrl).port;
        const down = await ctx.tall(['down']);
        if (down.code !== 0) fail(`"tall down" failed: ${(down.stderr || down.stdout).trim().split('\n').slice(-3).join(' / ')}`);
        const up = await ctx.tall(['up', '--port', port]);
        if (up.code !== 0) fail(`"tall up" after "tall down" failed: ${(up.stderr || up.stdout).trim().split('\n').slice(-6).join(' / ')}`);
        const desired = (await ctx.services()).find((service) => service.name === 'orders')?.desired ?? 1;
        await expectOrders(ctx, orders, Math.min(desired, 2), 'after "tall down" and "tall up"');
        return `3 orders (${orders.map((order) => `${order.quantity} × ${order.productId}`).join(', ')}) read back alike from 2 instances, after killing ${victim.id}, and after "tall down" + "tall up"`;
      },
    },
    {
      name: 'restore-drill',
      title: 'a backup of orders\' database, taken with "tall service backup", brings back an order the check placed after the check drops every table',
      points: 3,
      timeout: '90s',
      allowRouterFaults: true,
      hints: [
        'Try the drill yourself: place an order, "npx tall service backup orders-db", break the data (see the README: drop the table with psql), and "npx tall service restore orders-db latest". Is the order back?',
        'The check breaks the database behind orders\' back: it drops every table in it. Orders must then stop answering with that order (it reads the database, not a copy), and answer with it again once the backup is restored — without a restart.',
        'Keep nothing in memory or on disk: every GET /orders/:id is a SELECT from the bound database, with a pg.Pool that survives a failed query (pool.on(\'error\') logs; a failed request answers 5xx). An order placed after the backup is gone after the restore: that is what a restore means.',
      ],
      async run(ctx) {
        const instance = await boundInstance(ctx, 'orders');
        const products = await productIds(ctx);
        const before = await placeOrder(ctx, products);
        await expectOrders(ctx, [before], 1, 'before the backup');

        const { backup } = await ctx.tallJson<{ backup: { id: string; sizeBytes: number } }>(['service', 'backup', instance.name]);
        const after = await placeOrder(ctx, products);

        // Break it: every table of the instance's own user goes, as an operator's mistake would take it.
        const dropped = await ctx.sql<{ dropped: string }>(instance.name, "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') AS dropped FROM pg_tables WHERE tableowner = current_user AND schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%'");
        const tables = dropped[0]?.dropped;
        if (!tables) fail(`${instance.name}, the database bound to orders, has no tables: orders keeps its orders somewhere else`);
        await ctx.sql(instance.name, `DO $$ DECLARE t record; BEGIN FOR t IN SELECT schemaname, tablename FROM pg_tables WHERE tableowner = current_user AND schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%' LOOP EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', t.schemaname, t.tablename); END LOOP; END $$`);
        ctx.note(`dropped ${tables} in ${instance.name}`);
        for (const answer of await fromEvery(ctx, `/orders/orders/${before.id}`, 2)) {
          if (!differs(before, answer)) fail(`the check dropped every table in ${instance.name} (${tables}), yet GET /orders/orders/${before.id} still answered 200 with the order, from ${answer.instance ?? '?'}: orders serves it from somewhere else than its database (memory, a file). Expected every request to read the database.`);
        }

        const restore = await ctx.tall(['service', 'restore', instance.name, backup.id]);
        if (restore.code !== 0) fail(`"tall service restore ${instance.name} ${backup.id}" failed: ${(restore.stderr || restore.stdout).trim().split('\n').slice(-3).join(' / ')}`);
        await ctx.waitFor(`orders to answer GET /orders/orders/${before.id} again after the restore`, async () => !differs(before, await ctx.http.get(`/orders/orders/${before.id}`)), 30_000);
        await expectOrders(ctx, [before], 1, 'after the restore');
        const gone = await ctx.http.get(`/orders/orders/${after.id}`);
        if (gone.status !== 404) fail(`after restoring backup ${backup.id}, GET /orders/orders/${after.id} (placed after that backup) answered ${describe(gone)}; expected 404: the restored database is the one of the backup's time`);
        return `order ${before.id} (${before.quantity} × ${before.productId}) came back with backup ${backup.id} after the check dropped ${tables}; the order placed after the backup did not`;
      },
    },
  ],
});
