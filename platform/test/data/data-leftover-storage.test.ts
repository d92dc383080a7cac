import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/ports.js';
import { DATA, http, type EventJson } from '../support/data-fixture.js';
import { TallSandbox } from '../support/tall-cli.js';

describe('data services: a new instance starts empty, whatever an earlier one of that name left (process runtime)', () => {
  const tall = new TallSandbox(DATA);
  afterAll(async () => {
    await tall.run(['down']);
  });

  it('storage left by an instance whose record and credentials are gone is removed, and the new instance works', async () => {
    tall.extraEnv.TALL_PORT = String(await freePort());
    const router = `http://127.0.0.1:${tall.extraEnv.TALL_PORT}`;
    const first = await tall.run(['up', '--runtime', 'process']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect((await http(`${router}/dbapp/rows?value=old`, 'POST')).status).toBe(201);
    expect((await tall.run(['down'])).code).toBe(0);

    // The broker forgets app-db (as when a check's slot is used again, or .tall/ was deleted) but its data stays.
    const brokerDir = join(tall.stateDir, 'default', 'data-services');
    rmSync(join(brokerDir, 'broker.json'));
    rmSync(join(brokerDir, 'credentials.json'));

    const second = await tall.run(['up', '--runtime', 'process']);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const written = await http<{ row: { value: string } }>(`${router}/dbapp/rows?value=new`, 'POST');
    expect(written.status).toBe(201);
    expect((await http<{ rows: { value: string }[] }>(`${router}/dbapp/rows`)).body.rows.map((row) => row.value)).toEqual(['new']);
    const events = await tall.json<EventJson[]>(['events', 'app-db']);
    expect(events.map((event) => event.message).join('\n')).toMatch(/app-db: removed the storage an earlier instance of that name left/);
  });
});
