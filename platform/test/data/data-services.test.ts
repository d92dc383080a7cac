import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/ports.js';
import { DATA, http, passwordOf, PG_TOOLS, removeDataVolumes, type EventJson, type ServicesJson } from '../support/data-fixture.js';
import { RUNTIMES } from '../support/docker-engine.js';
import { TallSandbox, waitFor } from '../support/tall-cli.js';

interface Rows {
  rows: { id: number; value: string }[];
}

describe.each(RUNTIMES)('data services on the $runtime runtime', ({ runtime, available }) => {
  const tall = new TallSandbox(DATA);
  const backupsWork = available && (runtime === 'docker' || PG_TOOLS.available);
  let router: string;
  const rows = async () => (await http<Rows>(`${router}/dbapp/rows`)).body.rows.map((row) => row.value);
  const count = async () => (await http<{ count: number }>(`${router}/dbapp/count`)).body.count;
  const appDb = async () => (await tall.json<ServicesJson>(['services'])).instances.find((instance) => instance.name === 'app-db')!;

  beforeAll(async () => {
    if (!available) return;
    tall.extraEnv.TALL_PORT = String(await freePort());
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    router = `http://127.0.0.1:${tall.extraEnv.TALL_PORT}`;
  });
  afterAll(async () => {
    if (!available) return;
    await tall.run(['down']);
    if (runtime === 'docker') removeDataVolumes(tall);
  });

  it.skipIf(!available)('up provisions the declared instance and binds it: the app writes and reads a row through DATABASE_URL', async () => {
    const instance = await appDb();
    expect(instance).toMatchObject({ plan: 'small', server: 'running', lastOperation: { type: 'create', state: 'succeeded' }, bindings: [{ app: 'dbapp', declared: true }] });
    expect(instance.url).toMatch(/^postgres:\/\/app_db:\*\*\*\*@127\.0\.0\.1:\d+\/app_db$/);
    expect(instance.appUrl).toMatch(runtime === 'process' ? /@127\.0\.0\.1:\d+\/app_db$/ : /@tall-data-app-db:5432\/app_db$/);
    expect((await http(`${router}/dbapp/rows?value=kept`, 'POST')).status).toBe(201);
    expect(await rows()).toEqual(['kept']);
    // Both instances have the binding (VCAP_SERVICES as Cloud Foundry shapes it), and the plan shows inside the database.
    const seen = new Map<string, unknown>();
    for (let i = 0; i < 6; i++) {
      const answer = await http<{ instance: string; bound: boolean; services: unknown }>(`${router}/dbapp/binding`);
      seen.set(answer.body.instance, answer.body);
    }
    for (const binding of seen.values()) expect(binding).toMatchObject({ bound: true, services: { postgres: ['app-db'] } });
    expect((await http(`${router}/dbapp/settings`)).body).toEqual({ max_connections: '20', shared_buffers: '16MB' });
  });

  it.skipIf(!available)('the data survives tall down and tall up', async () => {
    expect((await tall.run(['down'])).code).toBe(0);
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr).toBe(0);
    expect(await rows()).toEqual(['kept']);
    expect((await appDb()).lastOperation.state).toBe('succeeded');
  });

  it.skipIf(!available)('SIGKILL of the database server: the broker brings it back, the app recovers, and the events say so', async () => {
    const before = await appDb();
    const killedAt = new Date().toISOString();
    if (runtime === 'process') process.kill(before.pid!, 'SIGKILL');
    else execFileSync('docker', ['kill', before.containerId!]);
    const events = await waitFor('the broker to record the crash and the resurrection', async () => {
      const all = (await tall.json<EventJson[]>(['events', 'app-db'])).filter((event) => event.time >= killedAt);
      const types = all.map((event) => event.type);
      return types.includes('crashed') && types.indexOf('resurrected') > types.indexOf('crashed') ? all : undefined;
    }, 90_000);
    expect(events.find((event) => event.type === 'crashed')!.message).toMatch(/killed by SIGKILL/);
    expect(await waitFor('dbapp to read its row again', async () => {
      const answer = await http<Rows>(`${router}/dbapp/rows`).catch(() => undefined);
      return answer?.status === 200 ? answer.body.rows.map((row) => row.value) : undefined;
    }, 60_000)).toEqual(['kept']);
    const after = await appDb();
    expect(after.server).toBe('running');
    expect(after.resurrections).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(!available)('tall service stop: the server stays down (no resurrection) and the app fails; tall service start: it is back with its data', async () => {
    const address = (await appDb()).appUrl;
    const stoppedAt = new Date().toISOString();
    const stop = await tall.run(['service', 'stop', 'app-db']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/app-db: its server is stopped, its data kept; bound to dbapp/);
    expect((await appDb()).server).toBe('stopped');
    expect((await http(`${router}/dbapp/rows`)).status).toBeGreaterThanOrEqual(500);
    // Left down: the resurrector brings back only servers that end by themselves.
    await new Promise((done) => setTimeout(done, 3000));
    const events = (await tall.json<EventJson[]>(['events', 'app-db'])).filter((event) => event.time >= stoppedAt);
    expect(events.map((event) => event.type)).toEqual(['stopped']);
    expect((await tall.run(['service', 'backup', 'app-db'])).code).not.toBe(0);
    const start = await tall.run(['service', 'start', 'app-db']);
    expect(start.code, start.stderr).toBe(0);
    // At the address the app was given (its port held while it was down): the app is not restarted.
    expect(await appDb()).toMatchObject({ server: 'running', appUrl: address });
    expect(await waitFor('dbapp to read its row again', async () => {
      const answer = await http<Rows>(`${router}/dbapp/rows`).catch(() => undefined);
      return answer?.status === 200 ? answer.body.rows.map((row) => row.value) : undefined;
    }, 60_000)).toEqual(['kept']);
    expect((await tall.json<EventJson[]>(['events', 'app-db'])).filter((event) => event.time >= stoppedAt).map((event) => event.type)).toEqual(['stopped', 'started']);
    expect((await tall.json<EventJson[]>(['events', 'dbapp'])).filter((event) => event.time >= stoppedAt).map((event) => event.type)).not.toContain('replaced');
  });

  it.skipIf(!backupsWork)('backup, change, restore: the row comes back; backups are listed with time and size', async () => {
    const backup = (await tall.json<{ backup: { id: string; time: string; sizeBytes: number; file: string } }>(['service', 'backup', 'app-db'])).backup;
    expect(backup.sizeBytes).toBeGreaterThan(0);
    expect(statSync(backup.file).mode & 0o777).toBe(0o600);
    const listed = (await tall.json<{ backups: { id: string; time: string; sizeBytes: number }[] }>(['service', 'backups', 'app-db'])).backups;
    expect(listed.map((entry) => entry.id)).toContain(backup.id);
    expect((await tall.run(['service', 'backups', 'app-db'])).stdout).toMatch(new RegExp(`${backup.id}\\s+${backup.time.replace(/\./g, '\\.')}\\s+\\d+ (B|kB)`));
    expect((await http(`${router}/dbapp/rows`, 'DELETE')).status).toBe(200);
    await http(`${router}/dbapp/rows?value=after`, 'POST');
    expect(await rows()).toEqual(['after']);
    const restore = await tall.run(['service', 'restore', 'app-db', backup.id]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await rows()).toEqual(['kept']);
    const events = await tall.json<EventJson[]>(['events', 'app-db']);
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['backed-up', 'restored']));
  });

  it.skipIf(!backupsWork)('a corrupt file, half a backup and another database\'s dump are refused, and the database is untouched', async () => {
    await http(`${router}/dbapp/rows?value=bulk&count=20000`, 'POST');
    const before = await count();
    expect(before).toBe(20001);
    const garbage = join(tmpdir(), `tall-garbage-${process.pid}.dump`);
    writeFileSync(garbage, 'this is not a dump\n'.repeat(100));
    const corrupt = await tall.run(['service', 'restore', 'app-db', garbage]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/is not a backup that can be restored.*app-db is untouched/);

    // A dump cut in half: its table of contents reads, its data does not. The restore runs in one transaction: rolled back.
    const whole = (await tall.json<{ backup: { file: string; sizeBytes: number } }>(['service', 'backup', 'app-db'])).backup;
    await http(`${router}/dbapp/rows`, 'DELETE');
    await http(`${router}/dbapp/rows?value=meanwhile`, 'POST');
    const half = join(tmpdir(), `tall-half-${process.pid}.dump`);
    writeFileSync(half, readFileSync(whole.file).subarray(0, Math.floor(whole.sizeBytes / 2)));
    const cut = await tall.run(['service', 'restore', 'app-db', half]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/app-db is untouched/);
    expect(await rows()).toEqual(['meanwhile']);

    // Another instance's dump: a whole archive, but of another database.
    const created = await tall.run(['service', 'create', 'postgres', 'other-db', '--wait']);
    expect(created.code, created.stderr).toBe(0);
    const foreign = (await tall.json<{ backup: { file: string } }>(['service', 'backup', 'other-db'])).backup;
    const refused = await tall.run(['service', 'restore', 'app-db', foreign.file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is a dump of database "other_db", not of app-db\'s ("app_db"); app-db is untouched');
    expect(await rows()).toEqual(['meanwhile']);
    expect((await tall.run(['service', 'delete', 'other-db'])).code).toBe(0);
  });

  it.skipIf(!available)('no credential shows in ps, services, events, logs, metrics or the dashboard; the broker\'s files are its owner\'s only', async () => {
    const password = passwordOf(tall, 'app-db');
    expect(password.length).toBeGreaterThanOrEqual(16);
    const outputs = await Promise.all([['ps'], ['ps', '--json'], ['services'], ['services', '--json'], ['events'], ['events', '--json'], ['logs'], ['logs', '--json'], ['config'], ['config', '--json']].map((args) => tall.run(args)));
    for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(password);
    // The broker's state is in the metrics and on the dashboard, without the password.
    const metrics = await (await fetch((await tall.json<{ metricsUrl: string }>(['ps'])).metricsUrl)).text();
    expect(metrics).toMatch(/tall_data_service_up\{instance="app-db",service="postgres",plan="small",server="running"\} 1/);
    expect(metrics).toMatch(/tall_data_service_bindings\{instance="app-db"\} 1/);
    expect(metrics).not.toContain(password);
    const { url } = await tall.json<{ url: string }>(['dashboard']);
    const session = (await fetch(url, { redirect: 'manual' })).headers.get('set-cookie')!.split(';')[0]!;
    const dashboard = await (await fetch(`${url.split('?')[0]}/view`, { headers: { cookie: session } })).text();
    expect(JSON.parse(dashboard).view.dataServices).toEqual([expect.objectContaining({ name: 'app-db', plan: 'small', server: 'running', boundTo: ['dbapp'] })]);
    expect(dashboard).not.toContain(password);
    // dbapp prints its DATABASE_URL at start; the platform stored it masked.
    expect(outputs[6]!.stdout).toMatch(/\[dbapp\/\d\] dbapp \S+: DATABASE_URL=postgres:\/\/app_db:\*\*\*\*@/);
    const dir = join(tall.stateDir, 'default', 'data-services');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ['broker.json', 'credentials.json']) expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o600);
    if (runtime === 'process') expect(statSync(join(dir, 'app-db', 'pgdata')).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).join(' ')).not.toContain(password);
  });
});
