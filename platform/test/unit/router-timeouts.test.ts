import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router, type RouterNotice } from '../../src/routing/router.js';
import { routeSettings } from '../../src/routing/route-settings.js';
import { freePort } from '../../src/util/ports.js';

/**
 * Real upstream servers that misbehave the way hung or frozen instances do: /hang never answers, and `frozen` makes the
 * whole instance stop answering (as SIGSTOP would) while its sockets stay open.
 */
async function upstream(name: string) {
  const state = { frozen: false, open: 0, closedEarly: 0, hits: 0 };
  const server = http.createServer((req, res) => {
    state.hits++;
    state.open++;
    res.on('close', () => {
      state.open--;
      if (!res.writableFinished) state.closedEarly++;
    });
    if (state.frozen || req.url?.startsWith('/hang')) return; // never answers
    res.end(JSON.stringify({ name, url: req.url }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { id: name, port: (server.address() as AddressInfo).port, server, state };
}

type Upstream = Awaited<ReturnType<typeof upstream>>;

async function until(what: string, test: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Router under hung and frozen instances', () => {
  let router: Router;
  let base: string;
  const notices: RouterNotice[] = [];
  const upstreams: Upstream[] = [];

  beforeAll(async () => {
    router = new Router({ hosts: ['127.0.0.1'], port: await freePort(), onNotice: (notice) => notices.push(notice) });
    await router.listen();
    base = `http://127.0.0.1:${router.port}`;
  });
  afterAll(async () => {
    await router.close();
    for (const up of upstreams) {
      up.server.closeAllConnections();
      up.server.close();
    }
  });

  async function route(name: string, count: number, settings = routeSettings()) {
    const pool = router.declare(name, settings);
    const ups: Upstream[] = [];
    for (let i = 1; i <= count; i++) {
      const up = await upstream(`${name}/${i}`);
      upstreams.push(up);
      pool.add({ id: up.id, host: '127.0.0.1', port: up.port });
      ups.push(up);
    }
    return { pool, ups };
  }

  it('answers 504 naming the instance when a handler never answers within the headers timeout', async () => {
    const { ups } = await route('hung', 1, routeSettings('round-robin', { headersMs: 300, hedgeAfterMs: false }));
    const answer = await fetch(`${base}/hung/hang`, { signal: AbortSignal.timeout(5000) });
    expect(answer.status).toBe(504);
    const body = (await answer.json()) as { error: string; instance: string };
    expect(body.instance).toBe('hung/1');
    expect(body.error).toMatch(/hung\/1 gave no answer within 300 ms/);
    // The upstream request was given up, so its connection is closed, not left hanging.
    await until('the hung upstream request to be closed', () => ups[0]!.state.open === 0);
    expect(notices.some((n) => n.kind === 'timeout' && n.instance === 'hung/1')).toBe(true);
  });

  it('cancels the upstream request when the caller goes away, so hung requests never jam the service', async () => {
    const { ups } = await route('jam', 1);
    // The callers leave once the instance holds all their requests (not after a fixed time: on a busy machine a
    // request may not have got there yet, and then there is nothing to cancel).
    const leaving = Array.from({ length: 140 }, () => new AbortController());
    const callers = leaving.map((caller) => fetch(`${base}/jam/hang`, { signal: caller.signal }).catch(() => 'left'));
    await until('all 140 hung requests to reach the instance', () => ups[0]!.state.hits === 140, 30_000);
    for (const caller of leaving) caller.abort();
    expect(new Set(await Promise.all(callers))).toEqual(new Set(['left']));
    await until('every abandoned upstream request to be closed', () => ups[0]!.state.open === 0, 15_000);
    expect(ups[0]!.state.closedEarly).toBe(140);
    // The same instance still serves everyone else at once.
    const answer = await fetch(`${base}/jam/ok`, { signal: AbortSignal.timeout(3000) });
    expect(answer.status).toBe(200);
  });

  it('hedges an idempotent request on another instance when the first gives no answer, and ejects the frozen one', async () => {
    const settings = routeSettings('round-robin', { hedgeAfterMs: 150 }, { consecutiveFailures: 3, baseEjectionMs: 800 });
    const { pool, ups } = await route('frozen', 3, settings);
    ups[1]!.state.frozen = true;
    const answers = await Promise.all(Array.from({ length: 12 }, () => fetch(`${base}/frozen/`, { signal: AbortSignal.timeout(5000) })));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(answers.map((a) => a.headers.get('x-instance'))).not.toContain('frozen/2');
    expect(notices.some((n) => n.kind === 'hedge' && n.instance === 'frozen/2')).toBe(true);
    const ejected = notices.find((n) => n.kind === 'ejected' && n.instance === 'frozen/2');
    expect(ejected?.detail).toMatch(/3 requests in a row .*out of the route for 0.8 s/);
    expect(pool.isEjected('frozen/2')).toBe(true);
    // While ejected, requests don't go there at all (so nobody waits for the hedge).
    const hitsWhileEjected = ups[1]!.state.hits;
    for (let i = 0; i < 6; i++) expect((await fetch(`${base}/frozen/`)).status).toBe(200);
    expect(ups[1]!.state.hits).toBe(hitsWhileEjected);
    // After the ejection time it is let back in.
    ups[1]!.state.frozen = false;
    await until('frozen/2 to return', () => notices.some((n) => n.kind === 'returned' && n.instance === 'frozen/2'), 3000);
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) seen.add((await fetch(`${base}/frozen/`)).headers.get('x-instance')!);
    expect(seen).toContain('frozen/2');
  });

  it('never hedges or retries a POST: a hung POST waits for its timeout and gets a 504', async () => {
    const { ups } = await route('post', 2, routeSettings('round-robin', { headersMs: 400, hedgeAfterMs: 50 }));
    const answer = await fetch(`${base}/post/hang`, { method: 'POST', body: 'order', signal: AbortSignal.timeout(5000) });
    expect(answer.status).toBe(504);
    expect(ups[0]!.state.hits + ups[1]!.state.hits).toBe(1);
  });

  it('keeps routing when every instance is ejected (a doubtful instance beats a sure 503)', async () => {
    const settings = routeSettings('round-robin', { headersMs: 200, hedgeAfterMs: false }, { consecutiveFailures: 1, baseEjectionMs: 60_000, maxEjectedShare: 1 });
    const { pool, ups } = await route('panic', 2, settings);
    ups[0]!.state.frozen = true;
    ups[1]!.state.frozen = true;
    await Promise.all([fetch(`${base}/panic/`), fetch(`${base}/panic/`)]);
    expect(pool.ejectedCount).toBe(2);
    ups[0]!.state.frozen = false;
    ups[1]!.state.frozen = false;
    const answer = await fetch(`${base}/panic/`);
    expect(answer.status).toBe(200);
  });

  it('never ejects the only instance of a route', async () => {
    const settings = routeSettings('round-robin', { headersMs: 100, hedgeAfterMs: false }, { consecutiveFailures: 1 });
    const { pool, ups } = await route('single', 1, settings);
    ups[0]!.state.frozen = true;
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/single/`)).status).toBe(504);
    expect(pool.isEjected('single/1')).toBe(false);
  });
});
