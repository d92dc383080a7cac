import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from '../../src/routing/router.js';
import { routeSettings } from '../../src/routing/route-settings.js';
import { freePort } from '../../src/util/ports.js';

/** Real upstream HTTP servers: the router's retry and balancing are about real sockets, so no fakes here. */
async function upstream(name: string, delayMs = 0): Promise<{ port: number; server: http.Server; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      hits.push(`${req.method} ${req.url} ${body}`);
      setTimeout(() => res.end(JSON.stringify({ name, url: req.url, body })), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server, hits };
}

describe('Router', () => {
  let router: Router;
  let base: string;
  const servers: http.Server[] = [];
  const notices: string[] = [];

  beforeAll(async () => {
    router = new Router({ hosts: ['127.0.0.1'], port: await freePort(), onNotice: (n) => notices.push(`${n.kind}:${n.instance}`) });
    await router.listen();
    base = `http://127.0.0.1:${router.port}`;
  });
  afterAll(async () => {
    await router.close();
    servers.forEach((server) => server.close());
  });

  async function service(route: string, count: number, strategy: 'round-robin' | 'least-connection' = 'round-robin', delayMs = 0) {
    const pool = router.declare(route, routeSettings(strategy));
    const ups = [];
    for (let i = 1; i <= count; i++) {
      const up = await upstream(`${route}/${i}`, delayMs);
      servers.push(up.server);
      pool.add({ id: `${route}/${i}`, host: '127.0.0.1', port: up.port });
      ups.push(up);
    }
    return { pool, ups };
  }

  it('routes by path prefix (stripped) and by <service>.localhost, tagging x-instance', async () => {
    await service('catalog', 1);
    const byPath = await fetch(`${base}/catalog/products?x=1`);
    expect(byPath.headers.get('x-instance')).toBe('catalog/1');
    expect(await byPath.json()).toMatchObject({ url: '/products?x=1' });
    const byHost = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: router.port, path: '/products', headers: { host: `catalog.localhost:${router.port}` } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(`${res.headers['x-instance']} ${JSON.parse(text).url}`));
      });
    });
    expect(byHost).toBe('catalog/1 /products');
  });

  it('spreads requests round-robin over every ready instance', async () => {
    await service('rr', 3);
    const seen = [];
    for (let i = 0; i < 30; i++) seen.push((await fetch(`${base}/rr/`)).headers.get('x-instance'));
    expect(new Set(seen)).toEqual(new Set(['rr/1', 'rr/2', 'rr/3']));
    expect(seen.filter((id) => id === 'rr/1')).toHaveLength(10);
  });

  it('least-connection sends new requests away from an instance busy with slow ones', async () => {
    const { pool } = await service('lc', 2, 'least-connection', 300);
    const first = fetch(`${base}/lc/slow`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const busy = [...['lc/1', 'lc/2']].find((id) => pool.inflightOf(id) === 1)!;
    const second = await fetch(`${base}/lc/quick`);
    expect(second.headers.get('x-instance')).not.toBe(busy);
    await first;
  });

  it('retries an idempotent request once on another instance when the first refuses the connection', async () => {
    const { pool } = await service('retry', 1);
    pool.add({ id: 'retry/dead', host: '127.0.0.1', port: await freePort() }); // nothing listens there
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${base}/retry/`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(notices.filter((n) => n === 'retry:retry/dead').length).toBeGreaterThanOrEqual(2);
  });

  it('replays the body of a retried PUT, but never retries a POST', async () => {
    const pool = router.declare('put', routeSettings());
    const live = await upstream('put/live');
    servers.push(live.server);
    pool.add({ id: 'put/dead', host: '127.0.0.1', port: await freePort() });
    pool.add({ id: 'put/live', host: '127.0.0.1', port: live.port });
    const results = [];
    for (let i = 0; i < 2; i++) {
      const put = await fetch(`${base}/put/item`, { method: 'PUT', body: 'payload' });
      results.push([put.status, (await put.json()).body]);
    }
    expect(results).toEqual([[200, 'payload'], [200, 'payload']]);
    const posts = [];
    for (let i = 0; i < 2; i++) posts.push((await fetch(`${base}/put/item`, { method: 'POST', body: 'order' })).status);
    expect(posts.sort()).toEqual([200, 502]);
    expect(live.hits.filter((hit) => hit.startsWith('POST'))).toHaveLength(1);
  });

  it('answers 503 with a clear body when a service has no ready instance, 404 for unknown routes', async () => {
    router.declare('empty', routeSettings());
    const empty = await fetch(`${base}/empty/x`);
    expect(empty.status).toBe(503);
    expect(await empty.json()).toMatchObject({ error: 'no ready instance of service "empty"', fix: expect.stringContaining('tall ps') });
    const unknown = await fetch(`${base}/nosuch/x`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).routes).toContain('/catalog/');
  });

  it('names the port and the fix when the port is taken', async () => {
    const second = new Router({ hosts: ['127.0.0.1'], port: router.port });
    await expect(second.listen()).rejects.toThrow(new RegExp(`port ${router.port} .*already in use.*--port`));
  });
});
