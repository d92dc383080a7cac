import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../support/docker-engine.js';
import { startLoad } from '../support/load.js';
import { MINI, TallSandbox, type PsJson } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';
import type { DeployOutcome } from '../../src/delivery/deployer.js';
import type { VersionRecord } from '../../src/delivery/version-history.js';
import type { PlatformEvent } from '../../src/monitoring/event-log.js';

const RATE = 200;

interface Sample {
  status: number;
  greeting?: string;
  instance?: string;
}

/** Requests one after the other beside the load, keeping what each answer says: which version answered. */
function sampleAnswers(url: string): { stop: () => Promise<Sample[]> } {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const body = (await response.json().catch(() => ({}))) as { greeting?: string };
        samples.push({ status: response.status, greeting: body.greeting, instance: response.headers.get('x-instance') ?? undefined });
      } catch {
        samples.push({ status: 0 });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

describe.each(RUNTIMES)('deploys on the $runtime runtime', ({ runtime, available }) => {
  // A copy of the mini system: a deploy reads the compose file again, so each test changes the copy's.
  const root = mkdtempSync(join(tmpdir(), 'tall-deploy-'));
  cpSync(MINI, root, { recursive: true });
  const composeFile = join(root, 'services/compose.yaml');
  const original = readFileSync(composeFile, 'utf8');
  const tall = new TallSandbox(root);
  let router: string;

  /** The echo service's lines of the compose file, changed: its greeting, more environment, x-tall settings. */
  const setEcho = (greeting: string, options: { environment?: Record<string, string>; tall?: Record<string, string> } = {}) => {
    const environment = Object.entries(options.environment ?? {}).map(([name, value]) => `\n      ${name}: "${value}"`).join('');
    const settings = Object.entries(options.tall ?? {}).map(([name, value]) => `\n      ${name}: ${value}`).join('');
    writeFileSync(composeFile, original
      .replace('GREETING: ${GREETING:-hello}', `GREETING: ${greeting}${environment}`)
      .replace('metrics_path: /metrics          # its own metrics, scraped by the platform', `metrics_path: /metrics${settings}`));
  };

  /** Runs `change` with ~RATE req/s through the router and a sampler beside it; prints and returns the figures. */
  const underLoad = async <T>(scenario: string, change: () => Promise<T>) => {
    const load = startLoad(`${router}/echo/`, RATE);
    const sampler = sampleAnswers(`${router}/echo/`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const result = await change();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const [figures, samples] = await Promise.all([load.stop(), sampler.stop()]);
    const failed = figures.errors + figures.timeouts + figures.non2xx;
    console.log(`[deploy figures] ${runtime} · ${scenario}: ${figures.requests} requests, ${failed} failed, ${figures.seconds.toFixed(1)} s`);
    return { result, figures, failed, samples };
  };

  const echoInstances = async () => (await tall.json<PsJson>(['ps'])).instances.filter((instance) => instance.service === 'echo');

  beforeAll(async () => {
    if (!available) return;
    const port = await freePort();
    tall.extraEnv.TALL_PORT = String(port);
    router = `http://127.0.0.1:${port}`;
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (available) await tall.run(['down']);
    rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it.skipIf(!available)('a rolling deploy under load: no failed request; new instances answer with the new greeting, the old ones are gone', async () => {
    setEcho('rolled');
    const { result, failed, figures, samples } = await underLoad('rolling deploy', () => tall.json<DeployOutcome>(['deploy', 'echo']));
    expect(result).toMatchObject({ service: 'echo', version: 2, outcome: 'succeeded', strategy: 'rolling', changes: ['environment.GREETING'] });
    expect(figures.requests).toBeGreaterThan(0);
    expect(failed).toBe(0);
    expect(samples.every((sample) => sample.status === 200)).toBe(true);
    expect(samples.at(-1)!.greeting).toBe('rolled');
    const instances = await echoInstances();
    expect(instances.map((instance) => instance.version)).toEqual([2, 2]);
    for (let i = 0; i < 10; i++) expect(((await (await fetch(`${router}/echo/`)).json()) as { greeting: string }).greeting).toBe('rolled');
    const history = await tall.json<VersionRecord[]>(['deploy', '--history', 'echo']);
    expect(history.map((version) => [version.version, version.outcome, version.active])).toEqual([[1, 'succeeded', false], [2, 'succeeded', true]]);
    expect(history[1]!.hash).not.toBe(history[0]!.hash);
  }, 300_000);

  it.skipIf(!available)('a version whose readiness never passes is rolled back by itself; it never serves, the old version serves throughout', async () => {
    setEcho('broken', { environment: { NEVER_READY: 'yes' } });
    const since = new Date().toISOString();
    const { result, failed, figures, samples } = await underLoad('automatic rollback (never ready)', async () => {
      const deploy = await tall.run(['deploy', 'echo', '--timeout', '4s', '--json']);
      expect(deploy.code, deploy.stderr).toBe(1);
      return JSON.parse(deploy.stdout) as DeployOutcome;
    });
    expect(result).toMatchObject({ version: 2, attempted: 3, outcome: 'rolled back' });
    expect(result.reason).toMatch(/^echo\/\d+ not ready within 4 s$/);
    expect(failed).toBe(0);
    expect(figures.requests).toBeGreaterThan(0);
    expect(samples.length).toBeGreaterThan(0);
    expect(new Set(samples.map((sample) => `${sample.status} ${sample.greeting}`))).toEqual(new Set(['200 rolled']));
    expect((await echoInstances()).map((instance) => instance.version)).toEqual([2, 2]);
    // The router's access log: no request went to the broken instance while it ran (its id may be reused afterwards).
    const events = (await tall.json<PlatformEvent[]>(['events', 'echo'])).filter((event) => event.time >= since);
    const rolledBack = events.find((event) => event.type === 'rolled-back')!;
    expect(rolledBack.message).toMatch(/^deploy echo v3 rolled back: echo\/\d+ not ready within 4 s$/);
    const broken = /^(echo\/\d+)/.exec(result.reason!)![1]!;
    const startedAt = events.find((event) => event.type === 'started' && event.instance === broken)!.time;
    const stoppedAt = events.find((event) => event.type === 'stopped' && event.instance === broken && event.time >= startedAt)!.time;
    const access = readFileSync(join(tall.stateDir, 'default/access.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { time: string; instance?: string });
    expect(access.filter((entry) => entry.time >= since).length).toBeGreaterThan(0);
    expect(access.filter((entry) => entry.instance === broken && entry.time >= startedAt && entry.time <= stoppedAt)).toEqual([]);
    const history = await tall.json<VersionRecord[]>(['deploy', '--history', 'echo']);
    expect(history.at(-1)).toMatchObject({ version: 3, outcome: 'rolled back', reason: result.reason, active: false });
  }, 300_000);

  it.skipIf(!available)('blue-green under load: the route switches at once with no failed request; tall rollback switches back to the kept set', async () => {
    setEcho('green', { tall: { deploy: 'blue-green' } });
    const { result, failed, samples } = await underLoad('blue-green switch', () => tall.json<DeployOutcome>(['deploy', 'echo']));
    expect(result).toMatchObject({ version: 4, outcome: 'succeeded', strategy: 'blue-green' });
    expect(failed).toBe(0);
    expect(samples.every((sample) => sample.status === 200)).toBe(true);
    expect(samples.at(-1)!.greeting).toBe('green');
    const switched = await echoInstances();
    expect(switched.filter((instance) => !instance.standby).map((instance) => instance.version)).toEqual([4, 4]);
    expect(switched.filter((instance) => instance.standby).map((instance) => instance.version)).toEqual([2, 2]);

    const back = await underLoad('blue-green rollback', () => tall.json<DeployOutcome>(['rollback', 'echo']));
    expect(back.result).toMatchObject({ version: 2, attempted: 4, outcome: 'rolled back', reason: 'tall rollback' });
    expect(back.failed).toBe(0);
    expect(back.samples.at(-1)!.greeting).toBe('rolled');
    expect((await echoInstances()).map((instance) => [instance.version, instance.standby])).toEqual([[2, false], [2, false]]);
  }, 300_000);

  it.skipIf(!available)('bad input: an unknown service names those that exist; rollback with no earlier good version says so; a second deploy at once is refused', async () => {
    const unknown = await tall.run(['deploy', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no service "nope"');
    expect(unknown.stderr).toContain('services: echo, slow');

    const slowFirst = await tall.run(['rollback', 'slow']);
    expect(slowFirst.code).toBe(1);
    expect(slowFirst.stderr).toMatch(/slow has no earlier version to roll back to: it runs v1/);

    setEcho('twice');
    const first = tall.run(['deploy', 'echo', '--json']);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const second = await tall.run(['deploy', 'echo']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/echo is already being changed \(deploy v5 since/);
    expect(JSON.parse((await first).stdout)).toMatchObject({ version: 5, outcome: 'succeeded' });
  }, 300_000);

  it.skipIf(!available)('a version that answers 5xx once in the pool is rolled back by itself when the error rate rises', async () => {
    setEcho('failing', { environment: { FAIL_REQUESTS: 'yes' } });
    const { result, figures, failed, samples } = await underLoad('automatic rollback (5xx)', async () => {
      const deploy = await tall.run(['deploy', 'echo', '--json']);
      expect(deploy.code, deploy.stderr).toBe(1);
      return JSON.parse(deploy.stdout) as DeployOutcome;
    });
    expect(result).toMatchObject({ version: 5, attempted: 6, outcome: 'rolled back' });
    expect(result.reason).toMatch(/^\d+ of \d+ answers were 5xx \(.* %, more than 5\.0 %\) within /);
    // Some answers may fail (the version is judged on them; how many depends on timing); the old version serves again afterwards.
    console.log(`[deploy figures] ${runtime} · automatic rollback (5xx): ${failed} of ${figures.requests} failed before the rollback`);
    expect(figures.requests).toBeGreaterThan(0);
    expect(samples.at(-1)).toMatchObject({ status: 200, greeting: 'twice' });
    expect((await echoInstances()).map((instance) => instance.version)).toEqual([5, 5]);
  }, 300_000);

  it.skipIf(!available || runtime !== 'docker')('a deploy whose build fails changes nothing and shows the build error', async () => {
    const dockerfile = join(root, 'services/echo/Dockerfile');
    const good = readFileSync(dockerfile, 'utf8');
    writeFileSync(dockerfile, `${good}RUN echo "broken build step" && exit 3\n`);
    try {
      const before = await echoInstances();
      const deploy = await tall.run(['deploy', 'echo']);
      expect(deploy.code).toBe(1);
      expect(deploy.stderr).toMatch(/deploy echo v7 failed; nothing changed: its build failed: docker build of service "echo" failed/);
      expect(deploy.stderr).toContain('broken build step');
      expect(await echoInstances()).toEqual(before);
      const history = await tall.json<VersionRecord[]>(['deploy', '--history', 'echo']);
      expect(history.at(-1)).toMatchObject({ version: 7, outcome: 'failed', active: false });
    } finally {
      writeFileSync(dockerfile, good);
    }
  }, 300_000);
});
