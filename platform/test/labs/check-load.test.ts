// ctx.load(): a lab's check drives load through the environment's router with the engine of `tall load`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentHandle } from '../../src/labs/check-context.js';
import type { Slot, StartedEnvironment } from '../../src/labs/throwaway.js';
import { MINI } from '../support/tall-cli.js';

describe('ctx.load', () => {
  let server: http.Server;
  let routerUrl: string;
  const paths = new Set<string>();

  beforeAll(async () => {
    // A stand-in for the router: every third answer a 503.
    let count = 0;
    server = http.createServer((req, res) => {
      paths.add(req.url!);
      res.statusCode = ++count % 3 === 0 ? 503 : 200;
      res.end('answer');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    routerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  const handle = (abortSignal: AbortSignal) => {
    const dir = mkdtempSync(join(tmpdir(), 'tall-load-'));
    const slot = { dir, root: MINI, services: join(MINI, 'services'), stateDir: join(dir, 'state'), release: () => undefined } as Slot;
    const env = { name: 'default', started: true, routerUrl, port: 0, startMs: 0, composeFile: join(MINI, 'services/compose.yaml'), variables: {} } as StartedEnvironment;
    return environmentHandle(env, { slot, runtime: 'process', abortSignal, activity: { current: '' } });
  };

  it('sends the rate asked for to a path on the router and counts every answer by status', async () => {
    const summary = await handle(new AbortController().signal).load('/catalog/products', { rps: 60, durationMs: 1000 });
    expect([...paths]).toEqual(['/catalog/products']);
    expect(summary.requests).toBeGreaterThanOrEqual(40);
    expect(summary.ok + (summary.byStatus['503'] ?? 0)).toBe(summary.requests);
    expect(summary.byStatus['503']).toBeGreaterThan(0);
    expect(summary.errors).toBe(summary.byStatus['503']);
    expect(summary.latencyMs).not.toBeNull();
  });

  it('stops when the check runs out of time, with what it did until then', async () => {
    const timeUp = new AbortController();
    setTimeout(() => timeUp.abort(), 1500);
    const began = Date.now();
    const summary = await handle(timeUp.signal).load('/catalog/products', { rps: 20, durationMs: 60_000 });
    expect(Date.now() - began).toBeLessThan(30_000);
    expect(summary.requests).toBeGreaterThan(0);
  });
});
