import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../support/docker-engine.js';
import { TallSandbox, waitFor, type PsJson } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';
import type { ActiveChaos } from '../../src/chaos/chaos-request.js';
import type { ChaosOutcome } from '../../src/chaos/chaos-controller.js';
import type { LoadSummary } from '../../src/load/run-load.js';

interface EventJson {
  type: string;
  instance?: string;
  message: string;
}

/** The router's request counts for one service, by status code, from its Prometheus endpoint. */
async function routerCounts(metricsUrl: string, service: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts: Record<string, number> = {};
  for (const [, labels, value] of text.matchAll(/^tall_http_requests_total\{([^}]*)\} (\d+)/gm)) {
    if (!labels!.includes(`service="${service}"`)) continue;
    const code = /code="(\d+)"/.exec(labels!)![1]!;
    counts[code] = (counts[code] ?? 0) + Number(value);
  }
  return counts;
}

async function timed(url: string): Promise<{ ms: number; status: number; body: string }> {
  const began = performance.now();
  const answer = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  const body = await answer.text();
  return { ms: performance.now() - began, status: answer.status, body };
}

describe.each(RUNTIMES)('chaos and load on the $runtime runtime', ({ runtime, available }) => {
  const tall = new TallSandbox();
  let router: string;
  let metricsUrl: string;
  const events = () => tall.json<EventJson[]>(['events']);

  beforeAll(async () => {
    if (!available) return;
    tall.extraEnv.TALL_PORT = String(await freePort());
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const ps = await tall.json<PsJson & { metricsUrl: string }>(['ps']);
    router = ps.routerUrl;
    metricsUrl = ps.metricsUrl;
  });

  afterAll(async () => {
    if (available) await tall.run(['down']);
  });

  const allReady = () => waitFor('every instance to be ready again', async () => {
    const ps = await tall.json<PsJson>(['ps']);
    return ps.instances.every((instance) => instance.ready) && ps.services.every((service) => service.ready === service.desired) ? ps : undefined;
  }, 60_000);

  it.skipIf(!available)('kill once: a random instance is killed through the runtime and the platform restarts it', async () => {
    const before = await tall.json<PsJson>(['ps']);
    const outcome = await tall.json<ChaosOutcome>(['chaos', 'kill', 'echo']);
    expect(outcome.killed).toMatch(/^echo\/[12]$/);
    const restarts = before.instances.find((instance) => instance.id === outcome.killed)!.restarts;
    await waitFor(`${outcome.killed} to be restarted`, async () => {
      const instance = (await tall.json<PsJson>(['ps'])).instances.find((candidate) => candidate.id === outcome.killed);
      return instance && instance.restarts > restarts && instance.ready ? instance : undefined;
    }, 60_000);
    const seen = await events();
    expect(seen.some((event) => event.type === 'chaos' && event.message === `chaos: killed ${outcome.killed} (once)`)).toBe(true);
    expect(seen.some((event) => event.type === 'restarted' && event.instance === outcome.killed)).toBe(true);
  });

  it.skipIf(!available)('kill on a schedule: every second for 2.5 s, each kill an event, then it ends and the instances come back', async () => {
    const started = await tall.json<ChaosOutcome>(['chaos', 'kill', 'echo', '--every', '1s', '--for', '2500ms']);
    expect(started.chaos).toMatchObject({ kind: 'kill', service: 'echo', everyMs: 1000, forMs: 2500 });
    const ended = await waitFor('the schedule to end', async () => (await events()).find((event) => event.type === 'chaos' && event.message.startsWith('chaos: ended kill a random echo instance every 1 s')), 30_000);
    const kills = (await events()).filter((event) => event.type === 'chaos' && /^chaos: killed echo\/\d \(every 1 s, .* left\)$/.test(event.message));
    expect(kills.length).toBeGreaterThanOrEqual(2);
    expect(ended.message).toMatch(/its 2\.5 s are over \(\d instances killed\)/);
    expect(await tall.json<ActiveChaos[]>(['chaos'])).toEqual([]);
    await allReady();
  });

  it.skipIf(!available)('latency: requests into a service wait at least the delay, and so does a call to it from another service', async () => {
    const started = await tall.run(['chaos', 'latency', 'slow', '400ms']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain('latency of 400 ms on 100 % of requests into slow');
    try {
      const direct = await timed(`${router}/slow/`);
      expect(direct.status).toBe(200);
      expect(direct.ms).toBeGreaterThanOrEqual(395);
      const between = await timed(`${router}/echo/call?path=/slow/`);
      expect(JSON.parse(between.body)).toMatchObject({ status: 200 });
      expect(between.ms).toBeGreaterThanOrEqual(395);
    } finally {
      await tall.run(['chaos', 'stop', 'slow']);
    }
  });

  it.skipIf(!available)('abort 100 %: every request into the service gets the status, calls between services too', async () => {
    expect((await tall.run(['chaos', 'abort', 'slow', '503'])).code).toBe(0);
    try {
      const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${router}/slow/`)).status));
      expect(new Set(statuses)).toEqual(new Set([503]));
      const between = JSON.parse((await timed(`${router}/echo/call?path=/slow/`)).body) as { status: number; answeredBy: string; body: string };
      expect(between.status).toBe(503);
      expect(between.answeredBy).toBe('slow/1');
      expect(between.body).not.toMatch(/chaos/i);
    } finally {
      await tall.run(['chaos', 'stop', 'slow']);
    }
  });

  it.skipIf(!available)('abort 50 % under tall load: some of each, and the summary counts what the router counted', async () => {
    expect((await tall.run(['chaos', 'abort', 'slow', '500', '--percent', '50'])).code).toBe(0);
    const before = await routerCounts(metricsUrl, 'slow');
    let summary: LoadSummary;
    try {
      summary = await tall.json<LoadSummary>(['load', '/slow/', '--rps', '100', '--for', '2s']);
    } finally {
      await tall.run(['chaos', 'stop']);
    }
    expect(summary.requests).toBeGreaterThanOrEqual(150);
    expect(summary.byStatus['500']).toBeGreaterThan(summary.requests * 0.25);
    expect(summary.byStatus['200']).toBeGreaterThan(summary.requests * 0.25);
    expect(summary.ok).toBe(summary.byStatus['200']);
    expect(summary.errors).toBe(summary.byStatus['500']! + summary.connectionErrors + summary.timeouts);
    expect(summary.latencyMs!.p50).toBeLessThanOrEqual(summary.latencyMs!.p99);
    // Access lines and metrics are counted once an answer is over: wait for the last ones.
    const seen = await waitFor('the router to count every answer', async () => {
      const after = await routerCounts(metricsUrl, 'slow');
      const delta = (code: string) => (after[code] ?? 0) - (before[code] ?? 0);
      return delta('200') >= summary.byStatus['200']! && delta('500') >= summary.byStatus['500']! ? { ok: delta('200'), failed: delta('500') } : undefined;
    }, 10_000);
    // Equal, but for answers the router finished while autocannon was closing its connections at the end.
    expect(seen.ok - summary.byStatus['200']!).toBeLessThanOrEqual(10);
    expect(seen.failed - summary.byStatus['500']!).toBeLessThanOrEqual(10);
  });

  it.skipIf(!available)('the list shows what is active with the time left; stop clears it; every step is an event', async () => {
    await tall.json(['chaos', 'latency', 'echo', '200ms', '--percent', '30', '--for', '1m']);
    await tall.json(['chaos', 'abort', 'slow', '502', '--percent', '10']);
    await tall.json(['chaos', 'lose-answer', 'echo', '--percent', '5']);
    const listed = await tall.json<ActiveChaos[]>(['chaos']);
    expect(listed.map(({ kind, service }) => `${kind} ${service}`).sort()).toEqual(['abort slow', 'latency echo', 'lose-answer echo']);
    const latency = listed.find((item) => item.kind === 'latency')!;
    expect(latency).toMatchObject({ delayMs: 200, percent: 30, forMs: 60_000 });
    expect(latency.leftMs).toBeGreaterThan(0);
    expect(latency.leftMs).toBeLessThanOrEqual(60_000);
    const table = await tall.run(['chaos']);
    expect(table.stdout).toMatch(/latency\s+echo\s+200 ms on 30 %\s+\d+ s left/);
    expect(table.stdout).toMatch(/abort\s+slow\s+502 on 10 %\s+until stopped/);
    expect(table.stdout).toMatch(/lose-answer\s+echo\s+answers lost on 5 %\s+until stopped/);
    const stopped = await tall.run(['chaos', 'stop']);
    expect(stopped.stdout).toContain('✔ stopped: latency of 200 ms on 30 % of requests into echo');
    expect(await tall.json<ActiveChaos[]>(['chaos'])).toEqual([]);
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${router}/slow/`)).status));
    expect(new Set(statuses)).toEqual(new Set([200]));
    const messages = (await events()).filter((event) => event.type === 'chaos').map((event) => event.message);
    expect(messages).toContain('chaos: latency of 200 ms on 30 % of requests into echo, for 1 min');
    expect(messages).toContain('chaos: ended answer 502 to 10 % of requests into slow: stopped by tall chaos stop');
  });

  it.skipIf(!available)('bad input: an unknown service names the services there are; bad values say what is wrong, never a stack', async () => {
    const unknown = await tall.run(['chaos', 'latency', 'nope', '1s']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: no service "nope"');
    expect(unknown.stderr).toContain('services: echo, slow');
    for (const [args, said] of [
      [['chaos', 'abort', 'echo', '200'], /"200" is not an error status/],
      [['chaos', 'latency', 'echo', 'soon'], /"soon" is not a duration/],
      [['chaos', 'abort', 'echo', '503', '--percent', '0'], /above 0 and up to 100/],
      [['chaos', 'kill', 'echo', '--for', '10s'], /--for needs --every/],
      [['load', '/echo/', '--rps', 'lots'], /--rps: "lots" must be a whole number/],
      [['load', '/echo/', '--body', '{nope'], /--body is not JSON/],
    ] as const) {
      const run = await tall.run([...args]);
      expect(run.code, run.stdout).not.toBe(0);
      expect(run.stderr).toMatch(said);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
