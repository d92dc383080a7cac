import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/ports.js';
import { dockerEngineAnswers } from '../support/docker-engine.js';
import { TallSandbox, waitFor } from '../support/tall-cli.js';

const MINI = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/mini');
const DATA = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/data');
const engine = dockerEngineAnswers();
const swarmState = () => execFileSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { encoding: 'utf8' }).trim();
const wasInSwarm = engine && swarmState() === 'active';

interface Deployed {
  stack: string;
  gatewayUrl: string;
  initialized: boolean;
  services: { name: string; replicas: string; image: string }[];
  unmapped: { service: string; setting: string }[];
}

/** Requests from 4 clients until `until` resolves: how many answered 200, how many did not, by greeting. */
async function underLoad(url: string, during: () => Promise<unknown>): Promise<{ ok: number; failed: string[]; greetings: Record<string, number> }> {
  let running = true;
  const failed: string[] = [];
  const greetings: Record<string, number> = {};
  let ok = 0;
  const client = async () => {
    while (running) {
      try {
        const answer = await fetch(url, { signal: AbortSignal.timeout(20_000) });
        const body = await answer.text();
        if (answer.status !== 200) failed.push(`${answer.status} ${body.slice(0, 120)}`);
        else {
          ok++;
          const greeting = (JSON.parse(body) as { greeting: string }).greeting;
          greetings[greeting] = (greetings[greeting] ?? 0) + 1;
        }
      } catch (error) {
        failed.push(String((error as Error & { cause?: { code?: string } }).cause?.code ?? error));
      }
      await new Promise((done) => setTimeout(done, 25));
    }
  };
  const clients = [client(), client(), client(), client()];
  try {
    await during();
    // a little past the end of the roll: the last old task is gone
    await new Promise((done) => setTimeout(done, 2000));
  } finally {
    running = false;
    await Promise.all(clients);
  }
  return { ok, failed, greetings };
}

describe.skipIf(!engine)('tall graduate swarm: the same compose file as a Docker Swarm stack', () => {
  const tall = new TallSandbox(MINI);
  let port: number;
  let deployed: Deployed;

  afterAll(async () => {
    await tall.run(['graduate', 'swarm', '--remove']);
    // A swarm this test made is undone; one that was there stays.
    if (!wasInSwarm && swarmState() === 'active') execFileSync('docker', ['swarm', 'leave', '--force'], { stdio: 'ignore' });
  });

  it('refuses an engine in no swarm with the fix, then --init deploys: every service runs its replicas and answers through the gateway on 127.0.0.1', async () => {
    port = await freePort();
    if (!wasInSwarm) {
      const refused = await tall.run(['graduate', 'swarm', '--port', String(port)]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/not part of a swarm[\s\S]*--init/);
    }
    deployed = await tall.json<Deployed>(['graduate', 'swarm', '--init', '--port', String(port)]);
    expect(deployed.initialized).toBe(!wasInSwarm);
    expect(deployed.gatewayUrl).toBe(`http://127.0.0.1:${port}`);
    expect(deployed.services.map((service) => [service.name, service.replicas.split(' ')[0]])).toEqual(expect.arrayContaining([['mini_echo', '2/2'], ['mini_slow', '1/1']]));
    expect(deployed.unmapped).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'slow', setting: 'x-tall.balance: least-connection' })]));
    // Swarm's own settings, from the file: replicas, the healthcheck, restart and update policies.
    const spec = JSON.parse(execFileSync('docker', ['service', 'inspect', 'mini_slow', '--format', '{{json .Spec}}'], { encoding: 'utf8' })) as { TaskTemplate: { ContainerSpec: { Healthcheck: { Test: string[] } }; RestartPolicy: { Condition: string } }; UpdateConfig: { Order: string; FailureAction: string } };
    expect(spec.TaskTemplate.ContainerSpec.Healthcheck.Test.join(' ')).toContain('/live');
    expect(spec.TaskTemplate.RestartPolicy.Condition).toBe('any');
    // No update_config in the file: what `tall deploy` does (stop-first, roll back on failure), not Swarm's own pause.
    expect(spec.UpdateConfig).toMatchObject({ Order: 'stop-first', FailureAction: 'rollback' });

    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const answer = await fetch(`${deployed.gatewayUrl}/echo/hello`);
      expect(answer.status).toBe(200);
      seen.add((await answer.json() as { instance: string }).instance);
    }
    expect(seen.size).toBe(2);
    // A service reaches another through the gateway, as through tall's router.
    const call = await (await fetch(`${deployed.gatewayUrl}/echo/call?path=/slow/x`)).json() as { status: number; body: string };
    expect(call.status).toBe(200);
    expect(JSON.parse(call.body)).toMatchObject({ greeting: 'slow', path: '/x' });
    const listening = execFileSync('docker', ['port', `${deployed.stack}-gateway`], { encoding: 'utf8' });
    expect(listening.trim()).toBe(`8080/tcp -> 127.0.0.1:${port}`);
  });

  it('a killed task is replaced by Swarm', async () => {
    const [victim] = execFileSync('docker', ['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=mini_echo'], { encoding: 'utf8' }).trim().split('\n');
    execFileSync('docker', ['kill', victim!]);
    await waitFor('a new echo task running in its place', async () => {
      const running = execFileSync('docker', ['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=mini_echo'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      return running.length === 2 && !running.includes(victim!) ? running : undefined;
    }, 90_000);
    expect((await fetch(`${deployed.gatewayUrl}/echo/again`)).status).toBe(200);
  });

  it('deploying a changed file again rolls the service by its update_config, under load, with no failed request', async () => {
    const load = await underLoad(`${deployed.gatewayUrl}/echo/load`, async () => {
      const again = await tall.run(['graduate', 'swarm', '--port', String(port), '--json'], { GREETING: 'rolled' });
      expect(again.code, again.stderr).toBe(0);
    });
    expect(load.failed).toEqual([]);
    expect(load.ok).toBeGreaterThan(0);
    expect(load.greetings.rolled).toBeGreaterThan(0);
    expect((await (await fetch(`${deployed.gatewayUrl}/echo/after`)).json() as { greeting: string }).greeting).toBe('rolled');
  });

  it('a data service is a service with a volume: the bound app writes and reads its rows through DATABASE_URL', async () => {
    const data = new TallSandbox(DATA);
    const dataPort = await freePort();
    try {
      const stack = await data.json<Deployed>(['graduate', 'swarm', '--port', String(dataPort)]);
      expect(stack.services.map((service) => service.name).sort()).toEqual(['data_app-db', 'data_dbapp']);
      expect(execFileSync('cat', [`${data.stateDir}/default/swarm/data/stack.yaml`], { encoding: 'utf8' })).not.toMatch(/[0-9a-f]{36}/);
      const written = await waitFor('dbapp to write a row (its database may still be starting)', async () => {
        const answer = await fetch(`${stack.gatewayUrl}/dbapp/rows?value=on-swarm`, { method: 'POST' }).catch(() => undefined);
        return answer?.status === 201 ? answer : undefined;
      }, 90_000);
      expect(written.status).toBe(201);
      expect(((await (await fetch(`${stack.gatewayUrl}/dbapp/rows`)).json()) as { rows: { value: string }[] }).rows.map((row) => row.value)).toContain('on-swarm');
    } finally {
      const removed = await data.json<{ removed: boolean; volumes: string[] }>(['graduate', 'swarm', '--remove', '--volumes']);
      expect(removed.volumes).toEqual(['data_app-db-data']);
      expect(execFileSync('docker', ['volume', 'ls', '-q', '--filter', 'name=data_app-db-data'], { encoding: 'utf8' }).trim()).toBe('');
    }
  });

  it('--stack deploys a second copy of the same file beside the first, under its own name', async () => {
    const second = await tall.json<Deployed>(['graduate', 'swarm', '--stack', 'mini-two', '--port', String(await freePort())]);
    expect(second.services.map((service) => service.name).sort()).toEqual(['mini-two_echo', 'mini-two_slow']);
    expect((await fetch(`${second.gatewayUrl}/echo/two`)).status).toBe(200);
    expect((await fetch(`${deployed.gatewayUrl}/echo/one`)).status).toBe(200);
    expect((await tall.json<{ removed: boolean }>(['graduate', 'swarm', '--stack', 'mini-two', '--remove'])).removed).toBe(true);
    expect((await fetch(`${deployed.gatewayUrl}/echo/still`)).status).toBe(200);
    expect((await tall.run(['graduate', 'swarm', '--stack', 'Not A Name'])).stderr).toMatch(/cannot name a stack/);
  });

  it('--remove takes the stack and its gateway away', async () => {
    const removed = await tall.json<{ removed: boolean }>(['graduate', 'swarm', '--remove']);
    expect(removed.removed).toBe(true);
    expect(execFileSync('docker', ['service', 'ls', '--filter', 'label=com.docker.stack.namespace=mini', '-q'], { encoding: 'utf8' }).trim()).toBe('');
    expect(execFileSync('docker', ['ps', '-aq', '--filter', 'name=mini-gateway'], { encoding: 'utf8' }).trim()).toBe('');
    // the images its deploys built went with it
    expect(execFileSync('docker', ['image', 'ls', '-q', '--filter', 'label=tall.graduate.stack=mini'], { encoding: 'utf8' }).trim()).toBe('');
    expect((await tall.json<{ removed: boolean }>(['graduate', 'swarm', '--remove'])).removed).toBe(false);
  });
});
