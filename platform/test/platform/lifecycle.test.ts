import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../support/docker-engine.js';
import { generateLoad } from '../support/load.js';
import { TallSandbox, waitFor, type PsJson } from '../support/tall-cli.js';
import { freePort, isPortFree } from '../../src/util/ports.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(RUNTIMES)('platform on the $runtime runtime', ({ runtime, available }) => {
  const tall = new TallSandbox();
  let port: number;
  let router: string;

  beforeAll(async () => {
    if (!available) return;
    port = await freePort();
    tall.extraEnv.TALL_PORT = String(port);
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.stdout).toContain(`http://127.0.0.1:${port}`);
    router = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    if (available) await tall.run(['down']);
  });

  it.skipIf(!available)('up starts every service ready; ps names each instance with its pid or container id', async () => {
    const ps = await tall.json<PsJson>(['ps']);
    expect(ps.runtime).toBe(runtime);
    expect(ps.services.map((s) => [s.name, s.ready])).toEqual([['echo', 2], ['slow', 1]]);
    for (const instance of ps.instances) {
      expect(instance.ready).toBe(true);
      expect(instance.address).toMatch(/^127\.0\.0\.1:\d+$/);
      if (runtime === 'process') expect(isAlive(instance.pid!)).toBe(true);
      else expect(instance.containerId).toMatch(/^[0-9a-f]{12,}$/);
    }
    const echo = await fetch(`${router}/echo/hello`);
    expect(echo.status).toBe(200);
    expect(await echo.json()).toMatchObject({ greeting: 'hello', path: '/hello' });
    expect((await fetch(`${router}/slow/`)).headers.get('x-instance')).toBe('slow/1');
  });

  it.skipIf(!available)('logs interleave every instance, tagged with its source; events record what happened', async () => {
    const all = await tall.run(['logs']);
    expect(all.stdout).toMatch(/^\[platform\] /m);
    const echo = await waitFor('both echo instances to have logged', async () => {
      const lines = (await tall.run(['logs', 'echo', '--json'])).stdout.trim().split('\n').map((line) => JSON.parse(line) as { source: string; line: string });
      return lines.filter((l) => /listening on :\d+/.test(l.line)).length >= 2 ? lines : undefined;
    });
    expect(new Set(echo.map((l) => l.source))).toEqual(new Set(['echo/1', 'echo/2']));
    const events = await tall.json<{ type: string; instance?: string; time: string }[]>(['events']);
    expect(events.filter((e) => e.type === 'ready').map((e) => e.instance).sort()).toEqual(['echo/1', 'echo/2', 'slow/1']);
    expect(Number.isNaN(Date.parse(events[0]!.time))).toBe(false);
  });

  it.skipIf(!available)('scale echo 3: 30 requests through the router reach 3 distinct instances', async () => {
    const scaled = await tall.json<{ to: number; ready: number }>(['scale', 'echo', '3']);
    expect(scaled).toMatchObject({ to: 3, ready: 3 });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add((await fetch(`${router}/echo/`)).headers.get('x-instance')!);
    expect(seen).toEqual(new Set(['echo/1', 'echo/2', 'echo/3']));
  });

  it.skipIf(!available)('SIGKILL of 1 of 3 instances under ~200 req/s: no failed request, and it comes back', async () => {
    const before = await tall.json<PsJson>(['ps']);
    const victim = before.instances.find((i) => i.id === 'echo/2')!;
    const load = generateLoad(`${router}/echo/`, 200, 6);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Killed from outside, by pid or container id, as a learner's chaos script would.
    const { execFileSync } = await import('node:child_process');
    if (runtime === 'process') process.kill(victim.pid!, 'SIGKILL');
    else execFileSync('docker', ['kill', victim.containerId!]);
    const result = await load;
    expect(result.requests).toBeGreaterThan(0);
    expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
    const back = await waitFor('echo/2 to be ready again', async () => {
      const ps = await tall.json<PsJson>(['ps']);
      const instance = ps.instances.find((i) => i.id === 'echo/2');
      return instance?.ready && instance.restarts >= 1 ? instance : undefined;
    }, 15_000);
    expect(back.pid ?? back.containerId).toBeTruthy();
    const events = await tall.json<{ type: string; instance?: string }[]>(['events']);
    const forVictim = events.filter((e) => e.instance === 'echo/2').map((e) => e.type);
    expect(forVictim).toEqual(expect.arrayContaining(['crashed', 'restarting', 'restarted']));
    expect(forVictim.lastIndexOf('ready')).toBeGreaterThan(forVictim.indexOf('crashed'));
  });

  it.skipIf(!available)('readiness: an instance whose probe fails leaves the pool but keeps running', async () => {
    const answer = await (await fetch(`${router}/echo/unready`)).json() as { ready: boolean };
    expect(answer.ready).toBe(false);
    const unready = await waitFor('an echo instance to leave the pool', async () => {
      const ps = await tall.json<PsJson>(['ps']);
      return ps.instances.find((i) => i.service === 'echo' && !i.ready);
    }, 10_000);
    expect(unready.state).not.toBe('crashed');
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await fetch(`${router}/echo/`)).headers.get('x-instance')!);
    expect(seen.has(unready.id)).toBe(false);
    expect(seen.size).toBe(2);
  });

  it.skipIf(!available)('liveness: a failing healthcheck gets the instance restarted by the platform', async () => {
    await fetch(`${router}/slow/sick`);
    await waitFor('slow/1 to be restarted after failing its healthcheck', async () => {
      const events = await tall.json<{ type: string; instance?: string }[]>(['events', 'slow']);
      const types = events.map((e) => e.type);
      return types.includes('unhealthy') && types.lastIndexOf('ready') > types.indexOf('unhealthy') ? true : undefined;
    }, 30_000);
    expect(((await (await fetch(`${router}/slow/live`)).json()) as { live: boolean }).live).toBe(true);
  });

  it.skipIf(!available)('scale-in drains: requests in flight to a removed instance still finish', async () => {
    await tall.json(['scale', 'echo', '3']);
    const slowRequests = Array.from({ length: 6 }, () => fetch(`${router}/echo/sleep?ms=1500`).then((r) => r.status));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const scaled = await tall.json<{ to: number }>(['scale', 'echo', '1']);
    expect(scaled.to).toBe(1);
    expect(await Promise.all(slowRequests)).toEqual([200, 200, 200, 200, 200, 200]);
    const ps = await tall.json<PsJson>(['ps']);
    expect(ps.instances.filter((i) => i.service === 'echo').map((i) => i.id)).toEqual(['echo/1']);
  });

  it.skipIf(!available)('a second up says it is already running; down leaves nothing behind', async () => {
    const again = await tall.run(['up', '--runtime', runtime]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already running.*tall down/s);
    const ps = await tall.json<PsJson>(['ps']);
    const down = await tall.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(await isPortFree(port)).toBe(true);
    if (runtime === 'process') {
      for (const instance of ps.instances) expect(isAlive(instance.pid!)).toBe(false);
    } else {
      const { execFileSync } = await import('node:child_process');
      const left = execFileSync('docker', ['ps', '-aq', '--filter', `id=${ps.instances[0]!.containerId}`]).toString().trim();
      expect(left).toBe('');
    }
    expect((await tall.run(['ps'])).code).toBe(1);
  });
});
