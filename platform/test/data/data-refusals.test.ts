import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/ports.js';
import { DATA, http, PG_TOOLS, type EventJson, type ServicesJson } from '../support/data-fixture.js';
import { TallSandbox, waitFor } from '../support/tall-cli.js';

/** A copy of the data fixture whose compose file a test may change. */
function fixtureCopy(edit: (compose: string) => string): string {
  const root = mkdtempSync(join(tmpdir(), 'tall-data-fixture-'));
  cpSync(DATA, root, { recursive: true, filter: (source) => !source.includes('node_modules') && !source.includes(`${join('dbapp', 'dist')}`) });
  const file = join(root, 'services/compose.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return root;
}

describe('data services: bad input gets a clear error (process runtime)', () => {
  // Resurrection off: one test needs a database server that stays down.
  const tall = new TallSandbox(DATA, { TALL_DATA_RESURRECT: 'off' });
  let router: string;

  beforeAll(async () => {
    tall.extraEnv.TALL_PORT = String(await freePort());
    router = `http://127.0.0.1:${tall.extraEnv.TALL_PORT}`;
    const up = await tall.run(['up', '--runtime', 'process']);
    expect(up.code, up.stderr).toBe(0);
    const created = await tall.run(['service', 'create', 'postgres', 'spare-db', '--plan', 'medium', '--wait']);
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(async () => {
    await tall.run(['down']);
    await tall.run(['down', '--env', 'staging']);
  });

  it('the marketplace lists the plans; a second instance with a taken name, an unknown service or plan is refused', async () => {
    const market = await tall.json<{ services: { name: string; plans: { name: string }[] }[] }>(['marketplace']);
    expect(market.services.map((service) => [service.name, service.plans.map((plan) => plan.name)])).toEqual([['postgres', ['small', 'medium']], ['broker', ['small', 'medium']]]);
    const taken = await tall.run(['service', 'create', 'postgres', 'spare-db']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/a service instance named "spare-db" exists already \(postgres, plan medium\)/);
    const service = await tall.run(['service', 'create', 'mysql', 'x-db']);
    expect(service.stderr).toMatch(/no service "mysql"[\s\S]*fix: services: postgres/);
    const plan = await tall.run(['service', 'create', 'postgres', 'x-db', '--plan', 'huge']);
    expect(plan.stderr).toMatch(/postgres has no plan "huge"[\s\S]*plans: small, medium/);
    const clash = await tall.run(['service', 'create', 'postgres', 'dbapp']);
    expect(clash.stderr).toContain('"dbapp" is the name of a service of the compose file');
  });

  it('binding to a service or an instance that does not exist names those that do', async () => {
    const app = await tall.run(['service', 'bind', 'nosuch', 'spare-db']);
    expect(app.code).toBe(1);
    expect(app.stderr).toMatch(/no service "nosuch" to bind spare-db to[\s\S]*fix: services: dbapp/);
    const instance = await tall.run(['service', 'bind', 'dbapp', 'nosuch-db']);
    expect(instance.code).toBe(1);
    expect(instance.stderr).toMatch(/no service instance "nosuch-db"[\s\S]*fix: instances: app-db, spare-db/);
  });

  it('bind restarts the bound service one instance at a time: no request fails meanwhile; delete is refused while bound, naming the bindings', async () => {
    let failed = 0;
    let answered = 0;
    let binding = true;
    const traffic = (async () => {
      while (binding) {
        const status = await fetch(`${router}/dbapp/ready`, { signal: AbortSignal.timeout(5000) }).then((response) => response.status, () => 0);
        if (status === 200) answered++;
        else failed++;
      }
    })();
    const bound = await tall.json<{ changed: boolean; restarted: string[] }>(['service', 'bind', 'dbapp', 'spare-db']);
    binding = false;
    await traffic;
    expect(bound.changed).toBe(true);
    expect(bound.restarted).toHaveLength(2);
    expect({ failed, answered: answered > 0 }).toEqual({ failed: 0, answered: true });
    const replaced = (await tall.json<EventJson[]>(['events', 'dbapp'])).filter((event) => event.type === 'replaced');
    expect(replaced).toHaveLength(2);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(JSON.stringify((await http<{ services: unknown }>(`${router}/dbapp/binding`)).body.services));
    expect([...seen]).toEqual([JSON.stringify({ postgres: ['app-db', 'spare-db'] })]);

    const refused = await tall.run(['service', 'delete', 'spare-db']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('spare-db is still bound to dbapp');
    expect(refused.stderr).toContain('fix: unbind first: npx tall service unbind dbapp spare-db');
    expect((await tall.json<ServicesJson>(['services'])).instances.map((instance) => instance.name)).toEqual(['app-db', 'spare-db']);

    const notBound = await tall.run(['service', 'unbind', 'dbapp', 'nosuch-db']);
    expect(notBound.stderr).toMatch(/no service instance "nosuch-db"/);
    expect((await tall.run(['service', 'unbind', 'dbapp', 'spare-db'])).code).toBe(0);
    expect((await http<{ services: unknown }>(`${router}/dbapp/binding`)).body.services).toEqual({ postgres: ['app-db'] });
  });

  it.skipIf(!PG_TOOLS.available)('a backup of an instance that is down is a clear error and leaves no file', async () => {
    const spare = (await tall.json<ServicesJson>(['services'])).instances.find((instance) => instance.name === 'spare-db')!;
    process.kill(spare.pid!, 'SIGKILL');
    await waitFor('spare-db to be down', async () => (await tall.json<ServicesJson>(['services'])).instances.find((instance) => instance.name === 'spare-db')!.server === 'down', 30_000);
    const backup = await tall.run(['service', 'backup', 'spare-db']);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toMatch(/spare-db is down: its database server is not running/);
    expect(backup.stderr).toMatch(/fix: wait for the broker to bring it back/);
    const folder = join(tall.stateDir, 'default', 'backups', 'spare-db');
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
    const events = await tall.json<EventJson[]>(['events', 'spare-db']);
    expect(events.at(-1)).toMatchObject({ type: 'crashed', message: expect.stringContaining('stays down (TALL_DATA_RESURRECT=off)') });
    expect((await tall.run(['service', 'delete', 'spare-db'])).code).toBe(0);
  });

  it('each environment has its own database: staging never sees default\'s rows', async () => {
    expect((await http(`${router}/dbapp/rows?value=only-in-default`, 'POST')).status).toBe(201);
    const up = await tall.run(['up', '--runtime', 'process', '--env', 'staging', '--port', String(await freePort())]);
    expect(up.code, up.stderr).toBe(0);
    const staging = (await tall.json<{ routerUrl: string }>(['ps', '--env', 'staging'])).routerUrl;
    expect((await http<{ rows: unknown[] }>(`${staging}/dbapp/rows`)).body.rows).toEqual([]);
    const [main, other] = await Promise.all([tall.json<ServicesJson>(['services']), tall.json<ServicesJson>(['services', '--env', 'staging'])]);
    expect(main.instances[0]!.url).not.toBe(other.instances[0]!.url);
    expect((await tall.run(['down', '--env', 'staging'])).code).toBe(0);
  });

  it('the port an instance wants is taken: it gets another, the events say so, and the app follows', async () => {
    const port = Number(/:(\d+)\//.exec((await tall.json<ServicesJson>(['services'])).instances.find((instance) => instance.name === 'app-db')!.url!)![1]);
    expect((await tall.run(['down'])).code).toBe(0);
    const squatter = net.createServer().listen(port, '127.0.0.1');
    try {
      const up = await tall.run(['up', '--runtime', 'process']);
      expect(up.code, up.stderr).toBe(0);
      const moved = (await tall.json<EventJson[]>(['events', 'app-db'])).filter((event) => event.type === 'port-changed');
      expect(moved.at(-1)!.message).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is taken by something else; app-db listens on \\d+ instead`));
      expect((await tall.json<ServicesJson>(['services'])).instances[0]!.url).not.toContain(`:${port}/`);
      expect((await http<{ rows: { value: string }[] }>(`${router}/dbapp/rows`)).body.rows.map((row) => row.value)).toContain('only-in-default');
    } finally {
      squatter.close();
    }
  });
});

describe('data services when the control plane is killed (process runtime)', () => {
  const tall = new TallSandbox(DATA);

  afterAll(async () => {
    await tall.run(['down']);
  });

  it('kill -9 of the control plane: its database server goes too (the reaper); the next up finds the data', async () => {
    tall.extraEnv.TALL_PORT = String(await freePort());
    const router = `http://127.0.0.1:${tall.extraEnv.TALL_PORT}`;
    expect((await tall.run(['up', '--runtime', 'process'])).code).toBe(0);
    await http(`${router}/dbapp/rows?value=survivor`, 'POST');
    const server = (await tall.json<ServicesJson>(['services'])).instances[0]!;
    const state = JSON.parse(readFileSync(join(tall.stateDir, 'default', 'state.json'), 'utf8')) as { pid: number; dataServers: { name: string; pid: number }[] };
    expect(state.dataServers).toEqual([expect.objectContaining({ name: 'app-db', pid: server.pid })]);
    process.kill(state.pid, 'SIGKILL');
    await waitFor('the database server to be stopped by the reaper', async () => {
      try {
        process.kill(server.pid!, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 15_000);
    const up = await tall.run(['up', '--runtime', 'process']);
    expect(up.code, up.stderr).toBe(0);
    expect((await http<{ rows: { value: string }[] }>(`${router}/dbapp/rows`)).body.rows.map((row) => row.value)).toEqual(['survivor']);
  });
});

describe('data services in the compose file: mistakes are located and name what exists', () => {
  it('a bind to an undeclared instance, an unknown service or plan', async () => {
    const root = fixtureCopy((text) => text
      .replace('app-db: { service: postgres, plan: small }', 'app-db: { service: postgres, plan: huge }\n    cache: { service: redis }')
      .replace('bind: [app-db]', 'bind: [app-db, nosuch-db]'));
    const config = await new TallSandbox(root).run(['config']);
    expect(config.code).toBe(1);
    expect(config.stderr).toMatch(/services\/compose\.yaml:\d+:\d+: data service "app-db": postgres has no plan "huge" \(plans: small, medium\)/);
    expect(config.stderr).toMatch(/services\/compose\.yaml:\d+:\d+: data service "cache": the marketplace has no service "redis" \(it has: postgres, broker\)/);
    expect(config.stderr).toMatch(/services\/compose\.yaml:\d+:\d+: service "dbapp": x-tall\.bind names "nosuch-db", which the top-level x-tall\.services does not declare \(declared: app-db, cache\)/);
  });

  it('"tall config" shows the declared instances and bindings; an unknown key under x-tall is warned about', async () => {
    const root = fixtureCopy((text) => text.replace('app-db: { service: postgres, plan: small }', 'app-db: { service: postgres, plan: small, size: big }'));
    const json = await new TallSandbox(root).json<{ dataServices: unknown; services: { name: string; tall: { bind: string[] } }[]; warnings: { message: string }[] }>(['config']);
    expect(json.dataServices).toEqual([{ name: 'app-db', service: 'postgres', plan: 'small' }]);
    expect(json.services[0]!.tall.bind).toEqual(['app-db']);
    expect(json.warnings.map((warning) => warning.message)).toEqual([expect.stringMatching(/"x-tall\.services\.app-db\.size" is not a kit setting \(known: service, plan\)/)]);
    const human = await new TallSandbox(DATA).run(['config']);
    expect(human.stdout).toMatch(/^x-tall:\n {2}services:\n {4}app-db:\n {6}service: postgres\n {6}plan: small\n/m);
  });
});
