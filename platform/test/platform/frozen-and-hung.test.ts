import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../support/docker-engine.js';
import { generateLoad } from '../support/load.js';
import { MINI, TallSandbox, waitFor, type PsJson } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';

/** Freezes an instance the way SIGSTOP does: the process stays, its sockets stay open, nothing answers. */
function freeze(runtime: string, instance: PsJson['instances'][number], frozen: boolean): void {
  if (runtime === 'process') process.kill(instance.pid!, frozen ? 'SIGSTOP' : 'SIGCONT');
  // docker-init passes signals on, but SIGSTOP can't be passed on; pausing freezes every process of the container.
  else execFileSync('docker', [frozen ? 'pause' : 'unpause', instance.containerId!]);
}

describe.each(RUNTIMES)('hung and frozen instances on the $runtime runtime', ({ runtime, available }) => {
  const tall = new TallSandbox();
  let router: string;

  beforeAll(async () => {
    if (!available) return;
    tall.extraEnv.TALL_PORT = String(await freePort());
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    router = (await tall.json<PsJson>(['ps'])).routerUrl;
    expect((await tall.json<{ ready: number }>(['scale', 'echo', '3'])).ready).toBe(3);
  });

  afterAll(async () => {
    if (available) await tall.run(['down']);
  });

  it.skipIf(!available)('a frozen instance (1 of 3) under ~200 req/s: no failed request, it leaves the route, and comes back', async () => {
    const victim = (await tall.json<PsJson>(['ps'])).instances.find((i) => i.id === 'echo/2')!;
    const load = generateLoad(`${router}/echo/`, 200, 8);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    freeze(runtime, victim, true);
    let result;
    try {
      result = await load;
      const events = await tall.json<{ type: string; instance?: string; message: string }[]>(['events', 'echo']);
      const out = events.filter((e) => e.instance === 'echo/2' && (e.type === 'ejected' || e.type === 'not-ready'));
      expect(out.length, JSON.stringify(events.slice(-10))).toBeGreaterThan(0);
    } finally {
      freeze(runtime, victim, false);
    }
    expect(result.requests).toBeGreaterThan(0);
    expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
    await waitFor('echo/2 to be back in the route', async () => {
      const ps = await tall.json<PsJson & { instances: { ejected: boolean }[] }>(['ps']);
      const instance = ps.instances.find((i) => i.id === 'echo/2') as (PsJson['instances'][number] & { ejected: boolean }) | undefined;
      return instance?.ready && !instance.ejected ? true : undefined;
    }, 90_000);
  });

  it.skipIf(!available)('140 callers that give up on a hung handler leave nothing held: the service answers everyone else at once', async () => {
    const callers = Array.from({ length: 140 }, () => fetch(`${router}/echo/hang`, { signal: AbortSignal.timeout(1000) }).then(() => 'answered', () => 'gave up'));
    expect(new Set(await Promise.all(callers))).toEqual(new Set(['gave up']));
    const hanging = await waitFor('the abandoned requests to be closed on every instance', async () => {
      const counts = [];
      for (let i = 0; i < 6; i++) counts.push(((await (await fetch(`${router}/echo/stats`)).json()) as { hanging: number }).hanging);
      return counts.every((count) => count === 0) ? counts : undefined;
    }, 20_000);
    expect(hanging).toHaveLength(6);
    const answer = await fetch(`${router}/echo/hello`, { signal: AbortSignal.timeout(5000) });
    expect(answer.status).toBe(200);
  });
});

describe('readiness is probed for every instance (process runtime)', () => {
  // The fixture's "slow" service without its healthcheck: no liveness, no declared readiness; only the implicit probe.
  const root = mkdtempSync(join(tmpdir(), 'tall-fixture-'));
  cpSync(MINI, root, { recursive: true });
  const file = join(root, 'services/compose.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/    healthcheck:\n(      .*\n)+/, ''));
  const tall = new TallSandbox(root);

  afterAll(async () => {
    await tall.run(['down']);
  });

  it('an idle instance that declares no probe, frozen, leaves the pool; thawed, it comes back', async () => {
    tall.extraEnv.TALL_PORT = String(await freePort());
    expect((await tall.run(['up', '--runtime', 'process'])).code).toBe(0);
    const slow = (await tall.json<PsJson>(['ps'])).instances.find((i) => i.id === 'slow/1')!;
    freeze('process', slow, true);
    try {
      const out = await waitFor('slow/1 to be taken out of the pool', async () => {
        const events = await tall.json<{ type: string; instance?: string; message: string }[]>(['events', 'slow']);
        return events.find((e) => e.type === 'not-ready' && e.instance === 'slow/1');
      }, 30_000);
      expect(out.message).toMatch(/GET \/ gave no answer within 2000 ms \(2 times in a row\)/);
    } finally {
      freeze('process', slow, false);
    }
    await waitFor('slow/1 to be ready again', async () => ((await tall.json<PsJson>(['ps'])).instances.find((i) => i.id === 'slow/1')?.ready ? true : undefined), 30_000);
  });
});
