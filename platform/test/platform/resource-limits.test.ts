import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngineAnswers } from '../support/docker-engine.js';
import { TallSandbox, waitFor, type PsJson } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';

const HOGS = resolve(import.meta.dirname, '../fixtures/hogs');
const canMakeCgroups = process.platform === 'linux' && process.getuid?.() === 0;

const CASES = [
  { name: 'process runtime, kernel cgroups', runtime: 'process', env: {}, available: canMakeCgroups, kills: 'kernel' },
  { name: 'process runtime, watchdog (no cgroups, as on a laptop)', runtime: 'process', env: { TALL_LIMITS: 'watchdog' }, available: true, kills: 'watchdog' },
  { name: 'docker runtime', runtime: 'docker', env: {}, available: dockerEngineAnswers(), kills: 'kernel' },
] as const;

interface Event { type: string; instance?: string; message: string }

describe.each(CASES)('resource limits: $name', ({ runtime, env, available, kills }) => {
  const tall = new TallSandbox(HOGS, { ...env });
  let router: string;

  beforeAll(async () => {
    if (!available) return;
    tall.extraEnv.TALL_PORT = String(await freePort());
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    router = (await tall.json<PsJson>(['ps'])).routerUrl;
  });
  afterAll(async () => {
    if (available) await tall.run(['down']);
  });

  it.skipIf(!available)('a service that allocates without bound is stopped at its memory limit, reported as OOMKilled, and restarted', async () => {
    expect((await fetch(`${router}/hog/grow`)).status).toBe(200);
    const killed = await waitFor('an OOMKilled event', async () => {
      const events = await tall.json<Event[]>(['events', 'hog']);
      return events.find((event) => event.type === 'crashed' && /OOMKilled/.test(event.message));
    }, 60_000);
    expect(killed.message).toMatch(/hog\/1 OOMKilled: it used more than its memory limit \(160 MiB; deploy\.resources\.limits\.memory\)/);
    const ps = await waitFor('hog/1 to be back', async () => {
      const now = await tall.json<PsJson & { instances: { lastExit?: { reason?: string } }[] }>(['ps']);
      const hog = now.instances.find((i) => i.id === 'hog/1') as (PsJson['instances'][number] & { lastExit?: { reason?: string } }) | undefined;
      return hog?.ready ? hog : undefined;
    }, 30_000);
    expect(ps.restarts).toBeGreaterThanOrEqual(1);
    expect(ps.lastExit?.reason).toBe('OOMKilled');
  });

  it.skipIf(!available)('a service that forks without end never runs more processes than its limit', async () => {
    const before = (await tall.json<Event[]>(['events', 'hog'])).length;
    await fetch(`${router}/hog/fork?n=80`).catch(() => undefined);
    if (kills === 'kernel') {
      // The kernel refuses the forks past the limit; the service itself stays up.
      const count = Number((await (await fetch(`${router}/hog/count`)).text()).trim());
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThan(40);
    } else {
      const killed = await waitFor('the watchdog to stop hog/1', async () => {
        const events = (await tall.json<Event[]>(['events', 'hog'])).slice(before);
        return events.find((event) => event.type === 'crashed');
      }, 20_000);
      expect(killed.message).toMatch(/hog\/1 killed: it ran more than 40 processes \(deploy\.resources\.limits\.pids\)/);
    }
  });
});
