import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServiceSpec } from '../../src/compose/model.js';
import { DEFAULT_RESOURCE_LIMITS } from '../../src/compose/resource-limits.js';
import { InstanceHealth } from '../../src/failover/health-manager.js';
import type { Runtime } from '../../src/runtimes/runtime.js';

/** A healthcheck whose probe program always times out (as `node -e fetch(…)` can on a machine with no CPU to spare). */
const timesOut = { exec: async () => ({ exitCode: null, output: '', timedOut: true }) } as unknown as Runtime;

const service: ServiceSpec = {
  name: 'api', environment: {}, containerPort: 3000, dependsOn: {}, restart: 'always', replicas: 1, profiles: [], stopGracePeriodMs: 1000,
  labels: {}, limits: DEFAULT_RESOURCE_LIMITS, tall: { route: 'api', balance: 'round-robin', timeouts: {} },
  healthcheck: { test: ['CMD', 'true'], intervalMs: 20, timeoutMs: 50, retries: 2, startPeriodMs: 0 },
};

async function watch(): Promise<{ unhealthy: string[]; inconclusive: string[]; stop: () => void }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handle = { service: 'api', index: 1, host: '127.0.0.1' as const, port: (server.address() as AddressInfo).port };
  const unhealthy: string[] = [];
  const inconclusive: string[] = [];
  const health = new InstanceHealth(service, handle, timesOut, {
    onReadiness: () => undefined,
    onUnhealthy: (detail) => unhealthy.push(detail),
    onInconclusive: (detail) => inconclusive.push(detail),
  });
  health.start();
  return { unhealthy, inconclusive, stop: () => { health.stop(); server.close(); } };
}

describe('liveness on a busy machine', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a healthcheck that times out restarts the instance when the machine has CPU to spare', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([0.2, 0.2, 0.2]);
    const watched = await watch();
    await vi.waitFor(() => expect(watched.unhealthy).toHaveLength(1), { timeout: 3000 });
    watched.stop();
    expect(watched.unhealthy[0]).toMatch(/healthcheck failed 2 times in a row \(timed out after 50 ms\)/);
  });

  it('on an overloaded machine a timed-out healthcheck of an instance that still answers is not counted, and says why', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([os.cpus().length * 4, 1, 1]);
    const watched = await watch();
    await vi.waitFor(() => expect(watched.inconclusive.length).toBeGreaterThanOrEqual(3), { timeout: 3000 });
    watched.stop();
    expect(watched.unhealthy).toEqual([]);
    expect(watched.inconclusive[0]).toMatch(/timed out after 50 ms while the machine is overloaded \(load [\d.]+ on \d+ cores\), but the instance answers \(GET \/ answered 200\): not counted/);
  });
});
