import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, passwordOf, removeDataVolumes, type EventJson, type ServicesJson } from '../support/data-fixture.js';
import { RUNTIMES } from '../support/docker-engine.js';
import { TallSandbox, waitFor } from '../support/tall-cli.js';

/** The broker tests' own system: queueapp, bound to the declared message broker app-events. */
const QUEUES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/broker');

interface QueueJson {
  name: string;
  waiting: number;
  active: number;
  failed: number;
  lagSeconds: number;
}
type BrokerJson = ServicesJson['instances'][number] & { service: string; queues?: QueueJson[] };

describe.each(RUNTIMES)('a message broker from the marketplace on the $runtime runtime', ({ runtime, available }) => {
  const tall = new TallSandbox(QUEUES);
  let router: string;
  const broker = async () => (await tall.json<{ instances: BrokerJson[] }>(['services'])).instances.find((instance) => instance.name === 'app-events')!;
  const queue = async (name: string) => (await broker()).queues?.find((candidate) => candidate.name === name);

  beforeAll(async () => {
    if (available) router = await tall.up(runtime);
  });
  afterAll(async () => {
    if (!available) return;
    await tall.run(['down']);
    if (runtime === 'docker') removeDataVolumes(tall);
  });

  it.skipIf(!available)('up provisions it and binds it: the app gets BROKER_URL and a broker entry in VCAP_SERVICES, and sends through it', async () => {
    const marketplace = await tall.json<{ services: { name: string }[] }>(['marketplace']);
    expect(marketplace.services.map((service) => service.name)).toEqual(['postgres', 'broker']);
    expect(await broker()).toMatchObject({ service: 'broker', plan: 'small', server: 'running', lastOperation: { type: 'create', state: 'succeeded' }, bindings: [{ app: 'queueapp', declared: true }] });
    expect((await http(`${router}/queueapp/binding`)).body).toMatchObject({ broker: true, database: false, services: { broker: ['app-events'] } });

    expect((await http(`${router}/queueapp/send?queue=orders&count=5`, 'POST')).status).toBe(201);
    // Nobody works the queue: five wait, and the oldest waits longer and longer (the consumers' lag).
    const waiting = await waitFor('the platform to see 5 messages waiting for over a second', async () => {
      const seen = await queue('orders');
      return seen?.waiting === 5 && seen.lagSeconds >= 1 ? seen : undefined;
    }, 30_000);
    expect(waiting).toMatchObject({ active: 0, failed: 0 });
    const human = await tall.run(['services']);
    expect(human.stdout).toMatch(/app-events\s+orders\s+5\s+0\s+0\s+[\d.]+ s/);
    const metrics = await (await fetch((await tall.json<{ metricsUrl: string }>(['ps'])).metricsUrl)).text();
    expect(metrics).toMatch(/tall_broker_queue_waiting\{instance="app-events",queue="orders"\} 5/);
    expect(metrics).toMatch(/tall_broker_queue_lag_seconds\{instance="app-events",queue="orders"\} [1-9]/);
  });

  it.skipIf(!available)('SIGKILL of the broker\'s server: it is brought back, the waiting messages are still there, and the app works them', async () => {
    const before = await broker();
    const killedAt = new Date().toISOString();
    if (runtime === 'process') process.kill(before.pid!, 'SIGKILL');
    else execFileSync('docker', ['kill', before.containerId!]);
    await waitFor('the broker to record the crash and the resurrection', async () => {
      const types = (await tall.json<EventJson[]>(['events', 'app-events'])).filter((event) => event.time >= killedAt).map((event) => event.type);
      return types.includes('crashed') && types.indexOf('resurrected') > types.indexOf('crashed') ? types : undefined;
    }, 90_000);
    const worked = await waitFor('queueapp to work the queue again', async () => {
      const answer = await http<{ worked: number[] }>(`${router}/queueapp/work?queue=orders`, 'POST').catch(() => undefined);
      return answer?.status === 200 ? answer.body.worked : undefined;
    }, 60_000);
    expect(worked).toEqual([1, 2, 3, 4, 5]);
    expect(await waitFor('the queue to be empty', async () => {
      const seen = await queue('orders');
      return seen?.waiting === 0 && seen.active === 0 ? seen : undefined;
    }, 30_000)).toMatchObject({ lagSeconds: 0 });
    expect((await broker()).resurrections).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(!available)('its password shows nowhere: not in services, logs (the app printed its BROKER_URL), metrics or the dashboard', async () => {
    const password = passwordOf(tall, 'app-events');
    const outputs = await Promise.all([['services'], ['services', '--json'], ['events'], ['logs'], ['logs', 'queueapp']].map((args) => tall.run(args)));
    for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(password);
    expect(outputs[4]!.stdout).toMatch(/queueapp \S+: BROKER_URL=postgres:\/\/app_events:\*\*\*\*@/);
    const metrics = await (await fetch((await tall.json<{ metricsUrl: string }>(['ps'])).metricsUrl)).text();
    expect(metrics).not.toContain(password);
    const { url } = await tall.json<{ url: string }>(['dashboard']);
    const session = (await fetch(url, { redirect: 'manual' })).headers.get('set-cookie')!.split(';')[0]!;
    const dashboard = await (await fetch(`${url.split('?')[0]}/view`, { headers: { cookie: session } })).text();
    expect(JSON.parse(dashboard).view.dataServices).toEqual([expect.objectContaining({ name: 'app-events', service: 'broker', queues: [expect.objectContaining({ name: 'orders', waiting: 0 })] })]);
    expect(dashboard).not.toContain(password);
  });
});
