import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChaosController, type ChaosHooks } from '../../src/chaos/chaos-controller.js';
import { checkChaosRequest, durationArgument, percentArgument, statusArgument } from '../../src/chaos/chaos-request.js';
import { decideFaults, type Fault } from '../../src/chaos/fault-rules.js';
import { UserError } from '../../src/control-plane/user-error.js';
import { Router } from '../../src/routing/router.js';
import { routeSettings } from '../../src/routing/route-settings.js';
import { freePort } from '../../src/util/ports.js';

describe('the fault decision (once per request)', () => {
  const latency: Fault = { kind: 'latency', delayMs: 300, percent: 50 };
  const abort: Fault = { kind: 'abort', status: 503, percent: 100 };

  it('each fault rolls its own dice against its percent; a delay and an abort can both hit', () => {
    expect(decideFaults([], () => 0)).toBeUndefined();
    expect(decideFaults([latency], () => 0.49)).toEqual({ delayMs: 300 });
    expect(decideFaults([latency], () => 0.5)).toBeUndefined();
    expect(decideFaults([latency, abort], () => 0.2)).toEqual({ delayMs: 300, abortStatus: 503 });
    expect(decideFaults([abort], () => 0.999999)).toEqual({ delayMs: 0, abortStatus: 503 });
  });

  it('a lost answer is one more die; an abort that hits too wins (the request never reaches the service)', () => {
    const lose: Fault = { kind: 'lose-answer', percent: 30 };
    expect(decideFaults([lose], () => 0.29)).toEqual({ delayMs: 0, loseAnswer: true });
    expect(decideFaults([lose], () => 0.3)).toBeUndefined();
    expect(decideFaults([latency, lose], () => 0.1)).toEqual({ delayMs: 300, loseAnswer: true });
    const both = decideFaults([lose, abort], () => 0.1)!;
    expect(both.abortStatus).toBe(503);
  });

  it('50 % hits about half of many requests', () => {
    const hits = Array.from({ length: 2000 }, () => decideFaults([{ kind: 'abort', status: 500, percent: 50 }])).filter(Boolean).length;
    expect(hits).toBeGreaterThan(800);
    expect(hits).toBeLessThan(1200);
  });
});

describe('chaos arguments', () => {
  it('accepts durations, shares and error statuses; refuses the rest with a clear message', () => {
    expect(durationArgument('1m30s', '--for')).toBe(90_000);
    expect(() => durationArgument('soon', '--for')).toThrow(/--for: "soon" is not a duration/);
    expect(() => durationArgument('0s', '--every')).toThrow(UserError);
    expect(percentArgument('25')).toBe(25);
    expect(percentArgument('12.5%')).toBe(12.5);
    for (const bad of ['0', '101', 'half', '']) expect(() => percentArgument(bad)).toThrow(/above 0 and up to 100/);
    expect(statusArgument('503')).toBe(503);
    for (const bad of ['200', '600', '5xx', '0503']) expect(() => statusArgument(bad)).toThrow(/400 to 599/);
    expect(() => checkChaosRequest({ kind: 'kill', service: 'echo', forMs: 1000 })).toThrow(/--for needs --every/);
    expect(() => checkChaosRequest({ kind: 'kill', service: 'echo', everyMs: 100 })).toThrow(/at least 1 s/);
    expect(() => checkChaosRequest({ kind: 'latency', service: 'echo', delayMs: 120_000, percent: 100 })).toThrow(/at most 60 s/);
    expect(checkChaosRequest({ kind: 'lose-answer', service: 'echo', percent: 30 })).toMatchObject({ kind: 'lose-answer' });
    expect(() => checkChaosRequest({ kind: 'lose-answer', service: 'echo', percent: 0 })).toThrow(/above 0 and up to 100/);
  });
});

describe('the chaos controller (fake clock)', () => {
  let events: string[];
  let faults: Map<string, Fault[]>;
  let killed: string[];
  let hooks: ChaosHooks;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T10:00:00Z') });
    events = [];
    faults = new Map();
    killed = [];
    let next = 0;
    hooks = {
      routeOf: (service) => {
        if (service === 'worker') return false;
        if (service !== 'catalog') throw new UserError(`no service "${service}". Services: catalog, worker`);
        return 'catalog';
      },
      kill: async (service) => {
        const id = `${service}/${(next++ % 2) + 1}`;
        killed.push(id);
        return { id };
      },
      setFaults: (route, list) => faults.set(route, list),
      record: (message) => events.push(message),
    };
  });
  afterEach(() => vi.useRealTimers());

  it('a kill schedule kills at once, then every interval, and ends on time with an event', async () => {
    const chaos = new ChaosController(hooks);
    const outcome = await chaos.start({ kind: 'kill', service: 'catalog', everyMs: 10_000, forMs: 35_000 });
    expect(outcome.killed).toBe('catalog/1');
    expect(chaos.list()).toMatchObject([{ kind: 'kill', service: 'catalog', leftMs: 35_000, kills: 1 }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toContain('chaos: killed catalog/2 (every 10 s, 25 s left)');
    await vi.advanceTimersByTimeAsync(25_000);
    expect(killed).toEqual(['catalog/1', 'catalog/2', 'catalog/1', 'catalog/2']);
    expect(events.at(-1)).toBe('chaos: ended kill a random catalog instance every 10 s: its 35 s are over (4 instances killed)');
    expect(chaos.list()).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(killed).toHaveLength(4);
  });

  it('a kill that finds nothing running is an event, and the schedule goes on', async () => {
    hooks.kill = async () => {
      throw new UserError('no running instance catalog (instances: none)');
    };
    const chaos = new ChaosController(hooks);
    expect((await chaos.start({ kind: 'kill', service: 'catalog', everyMs: 1000 })).killed).toBeUndefined();
    expect(events.at(-1)).toBe('chaos: nothing killed this time: no running instance catalog (instances: none) (until stopped)');
    expect(chaos.list()).toHaveLength(1);
    chaos.clear();
  });

  it('faults reach the router, one per kind and service, and leave it when they expire or are stopped', async () => {
    const chaos = new ChaosController(hooks);
    await chaos.start({ kind: 'latency', service: 'catalog', delayMs: 300, percent: 50, forMs: 30_000 });
    await chaos.start({ kind: 'abort', service: 'catalog', status: 503, percent: 100 });
    await chaos.start({ kind: 'latency', service: 'catalog', delayMs: 500, percent: 100, forMs: 20_000 });
    expect(faults.get('catalog')).toEqual([{ kind: 'abort', status: 503, percent: 100 }, { kind: 'latency', delayMs: 500, percent: 100 }]);
    expect(chaos.list().map((item) => [item.kind, item.leftMs])).toEqual([['abort', undefined], ['latency', 20_000]]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(faults.get('catalog')).toEqual([{ kind: 'abort', status: 503, percent: 100 }]);
    expect(events.at(-1)).toBe('chaos: ended latency of 500 ms on 100 % of requests into catalog: its 20 s are over');
    expect(chaos.stop('catalog').map((item) => item.kind)).toEqual(['abort']);
    expect(faults.get('catalog')).toEqual([]);
    expect(events.at(-1)).toBe('chaos: ended answer 503 to 100 % of requests into catalog: stopped by tall chaos stop');
    await chaos.start({ kind: 'lose-answer', service: 'catalog', percent: 25 });
    expect(faults.get('catalog')).toEqual([{ kind: 'lose-answer', percent: 25 }]);
    expect(events.at(-1)).toMatch(/^chaos: lose the answer to 25 % of requests into catalog .*until stopped$/);
  });

  it('refuses an unknown service (naming the others) and faults on a service with no route', async () => {
    const chaos = new ChaosController(hooks);
    await expect(chaos.start({ kind: 'abort', service: 'nope', status: 500, percent: 100 })).rejects.toThrow('no service "nope". Services: catalog, worker');
    await expect(chaos.start({ kind: 'latency', service: 'worker', delayMs: 100, percent: 100 })).rejects.toThrow(/not routed/);
    expect(() => chaos.stop('nope')).toThrow(/Services: catalog, worker/);
    expect(events).toEqual([]);
  });
});

describe('faults in the router', () => {
  let router: Router;
  let base: string;
  let server: http.Server;
  let hits = 0;
  const notices: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      res.end('fine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    router = new Router({ hosts: ['127.0.0.1'], port: await freePort(), onNotice: (notice) => notices.push(notice.kind) });
    await router.listen();
    base = `http://127.0.0.1:${router.port}`;
    // Hedging after 50 ms: a delay injected before an instance is chosen must not be dodged by a hedge.
    const pool = router.declare('catalog', routeSettings('round-robin', { hedgeAfterMs: 50 }));
    for (const index of [1, 2]) pool.add({ id: `catalog/${index}`, host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  });
  afterAll(async () => {
    await router.close();
    server.close();
  });

  it('an abort answers as a failing instance would: its status, an x-instance, and no word of chaos; the instance never sees it', async () => {
    router.setFaults('catalog', [{ kind: 'abort', status: 503, percent: 100 }]);
    const before = hits;
    const answer = await fetch(`${base}/catalog/products`);
    const text = await answer.text();
    expect(answer.status).toBe(503);
    expect(answer.headers.get('x-instance')).toMatch(/^catalog\/[12]$/);
    expect(answer.headers.get('x-request-id')).toBeTruthy();
    expect(JSON.stringify([...answer.headers]) + text).not.toMatch(/chaos|fault|inject/i);
    expect(hits).toBe(before);
  });

  it('a lost answer reaches the instance, which answers in full; the caller gets a broken connection, the access line 444', async () => {
    const lines: { status: number; instance?: string }[] = [];
    const lossy = new Router({ hosts: ['127.0.0.1'], port: await freePort(), onNotice: (notice) => notices.push(notice.kind), onAccess: (line) => lines.push(line) });
    await lossy.listen();
    try {
      const pool = lossy.declare('payment', routeSettings('round-robin', {}));
      pool.add({ id: 'payment/1', host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      lossy.setFaults('payment', [{ kind: 'lose-answer', percent: 100 }]);
      const before = hits;
      const noticed = notices.length;
      const error = await fetch(`http://127.0.0.1:${lossy.port}/payment/payments`, { method: 'POST', body: '{"orderId":"o-1"}', headers: { 'content-type': 'application/json' } }).then(
        () => undefined,
        (failure: Error) => failure,
      );
      expect(error).toBeInstanceOf(TypeError); // fetch failed: the other side closed, no status at all
      expect(hits).toBe(before + 1); // …but the instance got the request and answered it
      // Not the router repairing anything (no retry of the POST, no notice), and once the fault is gone, answers flow again.
      expect(notices.slice(noticed)).toEqual([]);
      await vi.waitFor(() => expect(lines.at(-1)).toMatchObject({ status: 444, instance: 'payment/1' }));
      lossy.setFaults('payment', []);
      expect(await (await fetch(`http://127.0.0.1:${lossy.port}/payment/payments`, { method: 'POST', body: '{}' })).text()).toBe('fine');
      expect(hits).toBe(before + 2);
    } finally {
      await lossy.close();
    }
  });

  it('a delay holds the request at least that long before it is sent on, with no hedge', async () => {
    router.setFaults('catalog', [{ kind: 'latency', delayMs: 300, percent: 100 }]);
    const began = performance.now();
    const answer = await fetch(`${base}/catalog/products`);
    expect(await answer.text()).toBe('fine');
    expect(performance.now() - began).toBeGreaterThanOrEqual(295);
    expect(notices).not.toContain('hedge');
    router.setFaults('catalog', []);
    expect((await fetch(`${base}/catalog/products`)).status).toBe(200);
  });
});
