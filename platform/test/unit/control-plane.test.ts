import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectSpec, ServiceSpec } from '../../src/compose/model.js';
import { DEFAULT_RESOURCE_LIMITS } from '../../src/compose/resource-limits.js';
import { ControlPlane } from '../../src/control-plane/control-plane.js';
import { EventLog, type PlatformEvent } from '../../src/monitoring/event-log.js';
import { LogStore } from '../../src/monitoring/log-store.js';
import type { Endpoint } from '../../src/routing/balancer.js';
import type { RoutingTable } from '../../src/routing/routing-table.js';
import type { ExecResult, ExitInfo, InstanceHandle, Runtime } from '../../src/runtimes/runtime.js';

/**
 * A runtime whose instances are HTTP servers inside the test process: starting, killing and restarting take
 * milliseconds, so the control plane's reconciliation (waves, restarts with backoff, policies, scaling) is tested
 * in isolation. The real runtimes have their own tests.
 */
class FakeRuntime extends EventEmitter implements Runtime {
  readonly kind = 'process' as const;
  readonly servers = new Map<string, http.Server>();
  /** services whose instances exit at once with this code */
  readonly exitAtStart = new Map<string, number>();
  /** services whose instances answer only this long after they start (so "started" and "ready" are apart) */
  readonly warmUpMs = new Map<string, number>();
  starts = 0;

  async prepare(): Promise<void> {}

  async start(service: ServiceSpec, count: number): Promise<InstanceHandle[]> {
    const handles: InstanceHandle[] = [];
    for (let n = 0; n < count; n++) {
      let index = 1;
      while (this.servers.has(`${service.name}/${index}`)) index++;
      handles.push(await this.launch(service.name, index));
    }
    return handles;
  }

  async restart(service: ServiceSpec, handle: InstanceHandle): Promise<InstanceHandle> {
    return this.launch(service.name, handle.index);
  }

  async stop(handle: InstanceHandle): Promise<void> {
    await this.close(handle);
  }

  async kill(handle: InstanceHandle): Promise<void> {
    this.end(handle, { code: null, signal: 'SIGKILL' });
  }

  /** The instance ends by itself, as a process that returns from main or is OOMKilled does. */
  end(handle: Pick<InstanceHandle, 'service' | 'index'>, info: ExitInfo): void {
    const current = this.handleOf(handle);
    void this.close(handle).then(() => this.emit('exit', current, info));
  }

  async exec(): Promise<ExecResult> {
    return { exitCode: 0, output: '', timedOut: false };
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.close({ service: id.split('/')[0]!, index: Number(id.split('/')[1]) })));
  }

  private readonly ports = new Map<string, number>();

  private handleOf(handle: Pick<InstanceHandle, 'service' | 'index'>): InstanceHandle {
    return { service: handle.service, index: handle.index, host: '127.0.0.1', port: this.ports.get(`${handle.service}/${handle.index}`) ?? 0 };
  }

  private async launch(service: string, index: number): Promise<InstanceHandle> {
    this.starts++;
    const readyAt = Date.now() + (this.warmUpMs.get(service) ?? 0);
    const server = http.createServer((_req, res) => void setTimeout(() => res.end('ok'), Math.max(0, readyAt - Date.now())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const id = `${service}/${index}`;
    this.servers.set(id, server);
    this.ports.set(id, (server.address() as AddressInfo).port);
    const handle = this.handleOf({ service, index });
    const code = this.exitAtStart.get(service);
    if (code !== undefined) setTimeout(() => this.end(handle, { code, signal: null }), 5);
    return handle;
  }

  private async close(handle: Pick<InstanceHandle, 'service' | 'index'>): Promise<void> {
    const id = `${handle.service}/${handle.index}`;
    const server = this.servers.get(id);
    this.servers.delete(id);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

class FakeRouter implements RoutingTable {
  readonly members = new Map<string, Set<string>>();
  declare(route: string): void {
    this.members.set(route, new Set());
  }
  setMember(route: string, endpoint: Endpoint, inPool: boolean): void {
    const members = this.members.get(route)!;
    if (inPool) members.add(endpoint.id);
    else members.delete(endpoint.id);
  }
  async inflight(): Promise<number> {
    return 0;
  }
  setFaults(): void {}
}

function service(name: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name, environment: {}, containerPort: 3000, dependsOn: {}, restart: 'always', replicas: 1, profiles: [], stopGracePeriodMs: 1000,
    labels: {}, limits: DEFAULT_RESOURCE_LIMITS, tall: { route: name, balance: 'round-robin', timeouts: {} }, ...overrides,
  };
}

const FAST_BACKOFF = { immediateRestarts: 2, baseDelayMs: 60, maxDelayMs: 200, resetAfterMs: 60_000 };

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ControlPlane against a fake runtime', () => {
  let plane: ControlPlane | undefined;
  afterEach(async () => {
    await plane?.shutdown();
    plane = undefined;
  });

  function setUp(services: ServiceSpec[]) {
    const dir = mkdtempSync(join(tmpdir(), 'plane-'));
    const runtime = new FakeRuntime();
    const router = new FakeRouter();
    const events = new EventLog(join(dir, 'events.jsonl'));
    const project: ProjectSpec = { file: join(dir, 'compose.yaml'), dir, services, warnings: [] };
    plane = new ControlPlane(project, runtime, router, events, new LogStore(join(dir, 'logs.jsonl')), { backoff: FAST_BACKOFF });
    const seen = (type: PlatformEvent['type']) => events.all().filter((event) => event.type === type);
    return { plane, runtime, router, events, seen };
  }

  it('starts services in depends_on waves and puts every ready instance in its route', async () => {
    const { plane, runtime, router, events } = setUp([service('web', { dependsOn: { api: 'service_started' } }), service('api', { replicas: 2 })]);
    await plane.up(5000, () => undefined);
    expect(plane.phase).toBe('running');
    expect([...router.members.get('api')!].sort()).toEqual(['api/1', 'api/2']);
    expect([...router.members.get('web')!]).toEqual(['web/1']);
    const started = events.all().filter((event) => event.type === 'started').map((event) => event.instance);
    expect(started.indexOf('web/1')).toBeGreaterThan(Math.max(started.indexOf('api/1'), started.indexOf('api/2')));
    expect(runtime.starts).toBe(3);
  });

  it('a runtime that cannot start a service: up fails with its reason, not as a time-out', async () => {
    const { plane, runtime } = setUp([service('web')]);
    runtime.start = async () => {
      throw new Error('web: docker compose exited with 1 (network ambiguous)');
    };
    await expect(plane.up(5000, () => undefined)).rejects.toThrow(/network ambiguous/);
    expect(plane.phase).toBe('failed');
    expect(plane.failure?.reason).toBe('web: docker compose exited with 1 (network ambiguous)');
  });

  it('depends_on conditions: service_started waits for the start only, service_healthy for readiness', async () => {
    const { plane, runtime, events } = setUp([
      service('api', { replicas: 2 }),
      service('web', { dependsOn: { api: 'service_started' } }),
      service('worker', { dependsOn: { api: 'service_healthy' } }),
    ]);
    runtime.warmUpMs.set('api', 300);
    await plane.up(5000, () => undefined);
    const at = (type: string, instance: string) => events.all().findIndex((event) => event.type === type && event.instance === instance);
    const apiStarted = Math.max(at('started', 'api/1'), at('started', 'api/2'));
    const apiReady = Math.max(at('ready', 'api/1'), at('ready', 'api/2'));
    expect(at('started', 'web/1')).toBeGreaterThan(apiStarted);
    expect(at('started', 'web/1')).toBeLessThan(apiReady);
    expect(at('started', 'worker/1')).toBeGreaterThan(apiReady);
  });

  it('restarts a crashed instance at once, then with growing delays, and says so', async () => {
    const { plane, runtime, seen } = setUp([service('api')]);
    await plane.up(5000, () => undefined);
    for (let crash = 1; crash <= 3; crash++) {
      runtime.end({ service: 'api', index: 1 }, { code: 1, signal: null });
      await until(`restart ${crash}`, () => seen('restarted').length >= crash);
    }
    const restarting = seen('restarting').map((event) => event.message);
    expect(restarting[0]).toMatch(/restarting now \(crash 1 in a row; backoff\)/);
    expect(restarting[1]).toMatch(/restarting now \(crash 2 in a row/);
    expect(restarting[2]).toMatch(/restarting in 0\.1 s \(crash 3 in a row/);
    expect(plane.instanceViews()[0]).toMatchObject({ restarts: 3 });
  });

  it('an exit with code 0 is "exited", not a crash; restart: on-failure leaves it down', async () => {
    const { plane, runtime, router, seen } = setUp([service('job', { restart: 'on-failure' })]);
    await plane.up(5000, () => undefined);
    runtime.end({ service: 'job', index: 1 }, { code: 0, signal: null });
    await until('the exit to be handled', () => seen('stopped').length > 0);
    expect(seen('crashed')).toEqual([]);
    expect(seen('exited')[0]!.message).toBe('job/1 exited with code 0');
    expect(seen('stopped')[0]!.message).toMatch(/stays down \(restart policy "on-failure"\)/);
    expect(plane.instanceViews()[0]).toMatchObject({ state: 'exited', ready: false, pid: undefined });
    expect(router.members.get('job')!.size).toBe(0);
  });

  it('an OOMKilled instance is reported with its limit, and restarted', async () => {
    const { plane, runtime, seen } = setUp([service('hog')]);
    await plane.up(5000, () => undefined);
    runtime.end({ service: 'hog', index: 1 }, { code: null, signal: 'SIGKILL', reason: 'OOMKilled' });
    await until('the restart', () => seen('restarted').length > 0);
    expect(seen('crashed')[0]!.message).toBe('hog/1 OOMKilled: it used more than its memory limit (512 MiB; deploy.resources.limits.memory)');
  });

  it('scales out and in; scale-in removes the highest indexes first', async () => {
    const { plane, router } = setUp([service('api')]);
    await plane.up(5000, () => undefined);
    expect(await plane.scale('api', 3)).toMatchObject({ from: 1, to: 3, ready: 3 });
    expect(await plane.scale('api', 1)).toMatchObject({ from: 3, to: 1, ready: 1 });
    expect(plane.instanceViews().map((view) => view.id)).toEqual(['api/1']);
    expect([...router.members.get('api')!]).toEqual(['api/1']);
  });

  it('a service that exits while starting fails up, naming the instance', async () => {
    const { plane, runtime } = setUp([service('broken')]);
    runtime.exitAtStart.set('broken', 3);
    await expect(plane.up(5000, () => undefined)).rejects.toThrow(/broken\/1 exited with code 3 while starting/);
    expect(plane.phase).toBe('failed');
  });

  it('an instance the router ejects is shown as such, with an event, until it returns', async () => {
    const { plane, seen } = setUp([service('api', { replicas: 2 })]);
    await plane.up(5000, () => undefined);
    plane.onRouterNotice({ kind: 'ejected', route: 'api', instance: 'api/2', detail: '3 requests in a row gave no answer in time; out of the route for 10 s' });
    expect(plane.instanceViews().find((view) => view.id === 'api/2')).toMatchObject({ ejected: true });
    expect(seen('ejected')[0]).toMatchObject({ service: 'api', instance: 'api/2' });
    plane.onRouterNotice({ kind: 'returned', route: 'api', instance: 'api/2', detail: 'back in the route after 10 s' });
    expect(plane.instanceViews().find((view) => view.id === 'api/2')).toMatchObject({ ejected: false });
  });
});
