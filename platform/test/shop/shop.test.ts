// The sample shop (services/*), the labs' starting point: every service started as a real
// child process on a free port, talking real HTTP to the others (no router in between).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVICES_DIR = fileURLToPath(new URL('../../../services', import.meta.url));
const SERVICE_NAMES = ['catalog', 'payment', 'orders', 'notifier', 'web'] as const;
type ServiceName = (typeof SERVICE_NAMES)[number];

interface Running {
  url: string;
  child: ChildProcess;
  /** everything the process printed so far */
  output: () => string;
  startMs: number;
}

const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function start(
  name: ServiceName,
  env: Record<string, string> = {},
  how: 'tsx' | 'bundle' = 'tsx',
): Promise<Running> {
  const port = await freePort();
  const args = how === 'tsx' ? ['--import', 'tsx', 'src/index.ts'] : ['dist/index.cjs'];
  const begin = performance.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PORT: String(port) };
  // Without HOST from a platform, a service listens on loopback only.
  delete childEnv.HOST;
  for (const key of ['INSTANCE_INDEX', 'SERVICE_NAME'] as const) if (!(key in env)) delete childEnv[key];
  const child = spawn(process.execPath, args, { cwd: join(SERVICES_DIR, name), env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const line = `${name} listening on 127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 15 s:\n${output}`)), 15_000);
    const check = () => {
      if (output.includes(line)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, child, output: () => output, startMs: performance.now() - begin };
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  return json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

afterAll(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
});

describe('the shop, started with tsx', () => {
  let catalog: Running, payment: Running, notifier: Running, orders: Running, web: Running;

  beforeAll(async () => {
    [catalog, payment, notifier] = await Promise.all([
      start('catalog'),
      start('payment', { PAYMENT_LATENCY_MS: '10' }),
      start('notifier'),
    ]);
    [orders, web] = await Promise.all([
      start('orders', { CATALOG_URL: catalog.url, PAYMENT_URL: payment.url, NOTIFIER_URL: notifier.url }),
      start('web', { CATALOG_URL: catalog.url, SERVICE_NAME: 'web', INSTANCE_INDEX: '2' }),
    ]);
  }, 60_000);

  it('catalog lists its products', async () => {
    const { status, body } = await json(`${catalog.url}/products`);
    expect(status).toBe(200);
    expect(body.length).toBeGreaterThanOrEqual(5);
    for (const product of body) {
      expect(product).toEqual({
        id: expect.any(String),
        name: expect.any(String),
        priceCents: expect.any(Number),
        stock: expect.any(Number),
      });
      expect(Number.isInteger(product.priceCents)).toBe(true);
    }
  });

  it('catalog answers one product, counting views per instance, and 404 JSON for an unknown one', async () => {
    const first = await json(`${catalog.url}/products/chaos-monkey`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: 'chaos-monkey', name: 'Chaos Monkey plush', priceCents: 2500 });
    const second = await json(`${catalog.url}/products/chaos-monkey`);
    expect(second.body.views).toBe(first.body.views + 1);

    const missing = await json(`${catalog.url}/products/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no-such-thing/);
  });

  it('logs one start line and each request', async () => {
    await fetch(`${catalog.url}/products`);
    const port = new URL(catalog.url).port;
    expect(catalog.output()).toMatch(new RegExp(`^catalog listening on 127\\.0\\.0\\.1:${port}$`, 'm'));
    expect(catalog.output()).toMatch(/^GET \/products$/m);
  });

  it('places an order: catalog for the price, payment for the charge, notifier told', async () => {
    const placed = await post(`${orders.url}/orders`, { productId: 'tall-mug', quantity: 2 });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ productId: 'tall-mug', quantity: 2, amountCents: 2800, status: 'confirmed' });
    expect(placed.body.id).toEqual(expect.any(String));
    expect(placed.body.paymentId).toEqual(expect.any(String));

    const fetched = await json(`${orders.url}/orders/${placed.body.id}`);
    expect(fetched).toEqual({ status: 200, body: placed.body });
    const all = await json(`${orders.url}/orders`);
    expect(all.body).toContainEqual(placed.body);

    const payments = await json(`${payment.url}/payments`);
    expect(payments.body).toContainEqual({
      paymentId: placed.body.paymentId,
      orderId: placed.body.id,
      amountCents: 2800,
      status: 'approved',
    });
    const notifications = await json(`${notifier.url}/notifications`);
    expect(notifications.body).toContainEqual(
      expect.objectContaining({ orderId: placed.body.id, productId: 'tall-mug', quantity: 2, amountCents: 2800 }),
    );
    expect(notifier.output()).toContain(`notify: order ${placed.body.id}`);
  });

  it('refuses bad orders: unknown product 404, bad body 400, unknown order 404', async () => {
    const unknown = await post(`${orders.url}/orders`, { productId: 'no-such-thing', quantity: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no-such-thing/);
    expect((await post(`${orders.url}/orders`, { quantity: 1 })).status).toBe(400);
    expect((await post(`${orders.url}/orders`, { productId: 'tall-mug', quantity: 0 })).status).toBe(400);
    expect((await json(`${orders.url}/orders/nope`)).status).toBe(404);
  });

  it('payment validates its input', async () => {
    expect((await post(`${payment.url}/payments`, { orderId: 'x', amountCents: -1 })).status).toBe(400);
    expect((await post(`${payment.url}/payments`, { amountCents: 100 })).status).toBe(400);
  });

  it('web renders the products (escaped) and the instance that served the page', async () => {
    const res = await fetch(`${web.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('Chaos Monkey plush');
    expect(html).toContain('Twelve-Factor App poster');
    expect(html).toContain('&#34;You must be this tall&#34; mug'); // the name has quotes in it
    expect(html).toContain('$25.00');
    expect(html).toContain('Served by <code>web/2</code>');
  });

  it('web falls back to the hostname without INSTANCE_INDEX (as under Docker)', async () => {
    const docker = await start('web', { CATALOG_URL: catalog.url });
    const html = await (await fetch(`${docker.url}/`)).text();
    expect(html).toContain(`Served by <code>${hostname()}</code>`);
  });
});

describe('the shop when payment fails', () => {
  it('PAYMENT_FAILURE_RATE=1 gives a failed order with a clear error, and no notification', async () => {
    const [catalog, payment, notifier] = await Promise.all([
      start('catalog'),
      start('payment', { PAYMENT_LATENCY_MS: '0', PAYMENT_FAILURE_RATE: '1' }),
      start('notifier'),
    ]);
    const orders = await start('orders', { CATALOG_URL: catalog.url, PAYMENT_URL: payment.url, NOTIFIER_URL: notifier.url });

    const placed = await post(`${orders.url}/orders`, { productId: 'pager-duck', quantity: 1 });
    expect(placed.status).toBe(502);
    expect(placed.body).toMatchObject({ productId: 'pager-duck', status: 'failed' });
    expect(placed.body.error).toMatch(/payment failed: payment answered 502/);
    expect((await json(`${orders.url}/orders/${placed.body.id}`)).body.status).toBe('failed');
    expect((await json(`${notifier.url}/notifications`)).body).toEqual([]);
    expect((await json(`${payment.url}/payments`)).body).toEqual([]);
  }, 30_000);

  it('PAYMENT_LATENCY_MS slows every payment down', async () => {
    const payment = await start('payment', { PAYMENT_LATENCY_MS: '300' });
    const begin = performance.now();
    const paid = await post(`${payment.url}/payments`, { orderId: 'o-1', amountCents: 100 });
    expect(paid.status).toBe(201);
    expect(performance.now() - begin).toBeGreaterThanOrEqual(290);
  }, 30_000);

  it('a dependency that does not answer at all gives a JSON 500 naming the cause', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const orders = await start('orders', { CATALOG_URL: nobody, PAYMENT_URL: nobody, NOTIFIER_URL: nobody });
    const placed = await post(`${orders.url}/orders`, { productId: 'tall-mug', quantity: 1 });
    expect(placed.status).toBe(500);
    expect(placed.body.error).toMatch(/ECONNREFUSED/);
  }, 30_000);
});

describe('the bundles (what the Dockerfiles run)', () => {
  const run = promisify(execFile);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

  it('npm run build bundles every service, and each bundle starts with plain node and answers', async () => {
    await Promise.all(SERVICE_NAMES.map((name) => run(npm, ['run', 'build'], { cwd: join(SERVICES_DIR, name) })));

    const catalog = await start('catalog', {}, 'bundle');
    const [payment, notifier, web] = await Promise.all([
      start('payment', { PAYMENT_LATENCY_MS: '0' }, 'bundle'),
      start('notifier', {}, 'bundle'),
      start('web', { CATALOG_URL: catalog.url, SERVICE_NAME: 'web', INSTANCE_INDEX: '1' }, 'bundle'),
    ]);
    const orders = await start('orders', { CATALOG_URL: catalog.url, PAYMENT_URL: payment.url, NOTIFIER_URL: notifier.url }, 'bundle');

    expect((await json(`${catalog.url}/products`)).body.length).toBeGreaterThanOrEqual(5);
    const placed = await post(`${orders.url}/orders`, { productId: 'breaker-stickers', quantity: 3 });
    expect(placed).toMatchObject({ status: 201, body: { status: 'confirmed', amountCents: 1800 } });
    expect((await json(`${notifier.url}/notifications`)).body).toHaveLength(1);
    expect(await (await fetch(`${web.url}/`)).text()).toContain('Served by <code>web/1</code>');
  }, 60_000);
});
