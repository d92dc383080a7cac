import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TallSandbox, type PsJson } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';
import { RUNTIMES } from '../support/docker-engine.js';

describe.each(RUNTIMES)('environments on the $runtime runtime: staging beside default, from the same compose file', ({ runtime, available }) => {
  const tall = new TallSandbox();
  delete process.env.TALL_PORT;

  beforeAll(async () => {
    if (!available) return;
    for (const args of [['up', '--runtime', runtime, '--port', String(await freePort())], ['up', '--runtime', runtime, '--env', 'staging']]) {
      const up = await tall.run(args);
      expect(up.code, up.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    if (!available) return;
    await tall.run(['down']);
    await tall.run(['down', '--env', 'staging']);
  });

  it.skipIf(!available)('both serve, on different ports, each with its own configuration', async () => {
    const main = await tall.json<PsJson>(['ps']);
    const staging = await tall.json<PsJson>(['ps', '--env', 'staging']);
    expect(main.routerUrl).not.toBe(staging.routerUrl);
    const fromMain = await (await fetch(`${main.routerUrl}/echo/`)).json();
    const fromStaging = await (await fetch(`${staging.routerUrl}/echo/`)).json();
    expect(fromMain).toMatchObject({ greeting: 'hello' });
    expect(fromStaging).toMatchObject({ greeting: 'hello-from-staging' });
    const ids = (ps: PsJson) => ps.instances.map((i) => i.pid ?? i.containerId);
    expect(ids(staging).some((id) => ids(main).includes(id))).toBe(false);
    if (runtime === 'process') {
      expect(fromMain).toMatchObject({ env: 'default' });
      expect(fromStaging).toMatchObject({ env: 'staging' });
    }
  });

  it.skipIf(!available)('are isolated: scaling or stopping one leaves the other as it was', async () => {
    await tall.json(['scale', 'echo', '3', '--env', 'staging']);
    const main = await tall.json<PsJson>(['ps']);
    expect(main.services.find((s) => s.name === 'echo')!.desired).toBe(2);
    expect((await tall.run(['down', '--env', 'staging'])).code).toBe(0);
    expect((await fetch(`${main.routerUrl}/echo/`)).status).toBe(200);
    const stagingPs = await tall.run(['ps', '--env', 'staging']);
    expect(stagingPs.code).toBe(1);
    expect(stagingPs.stderr).toMatch(/not running for environment "staging".*tall up --env staging/s);
  });

  it.skipIf(!available)('names the services when asked to scale one that does not exist, and rejects bad counts as usage errors', async () => {
    const nosuch = await tall.run(['scale', 'nosuch', '3']);
    expect(nosuch.code).toBe(2);
    expect(nosuch.stderr).toMatch(/no service "nosuch".*echo, slow/s);
    for (const bad of ['-1', 'abc', '2.5']) {
      const result = await tall.run(['scale', 'echo', bad]);
      expect(result.code, bad).toBe(2);
      expect(result.stderr).toMatch(/error: (unknown option|option|.*not a number of instances)/);
    }
    const kill = await tall.run(['kill', 'echo/9']);
    expect(kill.code).toBe(1);
    expect(kill.stderr).toMatch(/no running instance echo\/9 \(instances: echo\/1, echo\/2\)/);
  });
});
