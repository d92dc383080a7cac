import { afterAll, describe, expect, it } from 'vitest';
import { TallSandbox, waitFor, type PsJson } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';
import { isLoopback, listeningAddresses } from '../../src/runtimes/process/listening-addresses.js';

describe.skipIf(process.platform !== 'linux')('instances listen on loopback only (process runtime)', () => {
  const sandboxes: TallSandbox[] = [];
  afterAll(async () => {
    for (const tall of sandboxes) await tall.run(['down']);
  });

  async function up(env: Record<string, string> = {}): Promise<TallSandbox> {
    const tall = new TallSandbox(undefined, { TALL_PORT: String(await freePort()), ...env });
    sandboxes.push(tall);
    const started = await tall.run(['up', '--runtime', 'process']);
    expect(started.code, started.stderr).toBe(0);
    return tall;
  }

  it('the platform gives HOST=127.0.0.1; a service that uses it is reachable only from this machine, and no warning is raised', async () => {
    const tall = await up();
    const { instances } = await tall.json<PsJson>(['ps']);
    for (const instance of instances) {
      const addresses = listeningAddresses(instance.pid!);
      expect(addresses.length, instance.id).toBeGreaterThan(0);
      expect(addresses.filter((address) => !isLoopback(address)), instance.id).toEqual([]);
    }
    const events = await tall.json<{ type: string }[]>(['events']);
    expect(events.filter((event) => event.type === 'exposed')).toEqual([]);
  });

  it('a service that listens on every interface anyway is named in a warning event, with the fix', async () => {
    const tall = await up({ LISTEN_ALL: 'yes' });
    const exposed = await waitFor('an "exposed" event', async () => {
      const events = await tall.json<{ type: string; instance?: string; message: string }[]>(['events', 'echo']);
      const found = events.filter((event) => event.type === 'exposed');
      return found.length >= 2 ? found : undefined;
    }, 10_000);
    expect(exposed.map((event) => event.instance).sort()).toEqual(['echo/1', 'echo/2']);
    expect(exposed[0]!.message).toMatch(/listens on 0\.0\.0\.0:\d+: reachable from other machines, past the router\. Listen on the address the platform gives in HOST/);
  });
});
