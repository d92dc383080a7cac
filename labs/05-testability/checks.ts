// Lab 05 · Testability — the checks. They run catalog's own tests (`npm test` in services/catalog), always in a copy of
// your services/ inside the check's workspace, never in your folder: once as you wrote them, then once per deliberate
// bug in catalog/src/product-store.ts (mutants.ts). Rules for checks a learner can trust: README.md, "Writing a lab".
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { defineChecks, fail, TESTCONTAINERS, type CheckContext, type CommandRun } from '../../platform/src/labs/check-api.js';
import { planMutants, type Mutant } from './mutants.js';

/** One run of the tests: a Testcontainers start can take 10–30 s on a busy machine, more the first time (image pull). */
const TEST_RUN_MS = 240_000;
const STORE = 'catalog/src/product-store.ts';

/** What the run as written showed. */
interface Baseline {
  run: CommandRun;
  passed: boolean;
  /** how many tests passed, when the output says */
  tests?: number;
  /** connections to the stand-in database the environment named */
  decoyContacts: number;
  /** undefined: no Docker engine answered, so containers could not be seen */
  docker?: { started: { id: string; image: string }[]; leftOver: string[] };
  dockerWhy?: string;
}

const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** The end of a run's output, as a learner wants to read it in a message: no stack frames, code frames or rulers. */
function tail(run: CommandRun, lines = 14): string {
  const text = stripAnsi(`${run.stdout}\n${run.stderr}`)
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() && !/^\s*(at |❯ |\d+\||\|)/.test(line) && !/^[\s⎯]*(\[\d+\/\d+\])?[\s⎯]*$/.test(line));
  return text.slice(-lines).map((line) => `    ${line.slice(0, 200)}`).join('\n');
}

function testCount(run: CommandRun): number | undefined {
  const text = stripAnsi(run.stdout + run.stderr);
  const vitest = /Tests\s+(\d+) passed/.exec(text);
  const nodeTest = /^# pass (\d+)/m.exec(text) ?? /ℹ pass (\d+)/.exec(text);
  const found = vitest ?? nodeTest;
  return found ? Number(found[1]) : undefined;
}

/** catalog must have a way to run its tests: a "test" script in its package.json that is not npm's placeholder. */
function requireTestScript(ctx: CheckContext): void {
  const text = ctx.readFile('catalog/package.json');
  if (!text) fail('catalog/package.json is not there');
  let script: unknown;
  try {
    script = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts?.test;
  } catch (error) {
    fail(`catalog/package.json is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof script !== 'string' || !script.trim() || /no test specified/.test(script)) {
    fail('catalog/package.json has no "test" script; expected one that runs your tests, e.g. "test": "vitest run" (README, step 2)');
  }
}

/**
 * A stand-in for "the database the environment names": it accepts connections and counts them, then hangs up. The
 * tests run with DATABASE_URL, VCAP_SERVICES and PGHOST/PGPORT… pointing here, with names and a password of this run's
 * making: tests that start their own PostgreSQL never come here.
 */
async function decoy(): Promise<{ server: Server; env: Record<string, string>; contacts: () => number }> {
  let contacts = 0;
  const server = createServer((socket) => {
    contacts++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const port = (server.address() as { port: number }).port;
  const name = `shop_${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const uri = `postgres://${name}:${password}@127.0.0.1:${port}/${name}`;
  const credentials = { uri, hostname: '127.0.0.1', port: String(port), name, username: name, password };
  return {
    server,
    contacts: () => contacts,
    env: {
      DATABASE_URL: uri,
      VCAP_SERVICES: JSON.stringify({ postgres: [{ name: 'shop-db', label: 'postgres', plan: 'small', credentials }] }),
      PGHOST: '127.0.0.1',
      PGPORT: String(port),
      PGUSER: name,
      PGPASSWORD: password,
      PGDATABASE: name,
    },
  };
}

/** `docker …` through ctx.run, with a short limit: the Docker CLI answering is what "a Docker engine answers" means here. */
async function docker(ctx: CheckContext, args: string[]): Promise<CommandRun> {
  return ctx.run('docker', args, { timeoutMs: 30_000 });
}

async function dockerAnswers(ctx: CheckContext): Promise<{ ok: boolean; why?: string }> {
  const run = await docker(ctx, ['version', '--format', '{{.Server.Version}}']);
  return run.code === 0 ? { ok: true } : { ok: false, why: (run.stderr || run.stdout).trim().split('\n').pop() };
}

/**
 * Watches for containers Testcontainers starts (its label org.testcontainers=true) from now until `done()`: a live
 * `docker events` stream (the engine keeps only its last 256 events, which a busy machine overwrites within seconds, so
 * asking afterwards is not enough). done() gives them, and removes those still there.
 */
function watchContainers(ctx: CheckContext): { done(): Promise<{ started: { id: string; image: string }[]; leftOver: string[] }> } {
  const stop = new AbortController();
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const stream = ctx.run('docker', ['events', '--since', since, '--filter', 'type=container', '--filter', 'event=start', '--filter', 'label=org.testcontainers=true', '--format', '{{.Actor.ID}} {{index .Actor.Attributes "image"}}'], { timeoutMs: TEST_RUN_MS + 120_000, stop: stop.signal });
  return {
    async done() {
      await ctx.sleep(1500); // the last events on their way
      stop.abort();
      const events = await stream;
      const started = [...new Set(events.stdout.split('\n').filter(Boolean))].map((line) => {
        const [id, image] = line.split(' ');
        return { id: id!, image: image ?? '?' };
      });
      const leftOver: string[] = [];
      for (const { id } of started) {
        const still = await docker(ctx, ['ps', '-aq', '--no-trunc', '--filter', `id=${id}`]);
        if (still.stdout.trim()) {
          leftOver.push(id.slice(0, 12));
          await docker(ctx, ['rm', '--force', '--volumes', id]);
        }
      }
      return { started, leftOver };
    },
  };
}

/** Runs `npm test` in catalog of a fresh copy of the checked services/, with `product-store.ts` replaced when given. */
function runTests(ctx: CheckContext, env: Record<string, string | undefined>, store?: string): Promise<CommandRun> {
  const copy = ctx.copyServices();
  if (store !== undefined) writeFileSync(join(copy, STORE), store);
  return ctx.run('npm', ['test'], {
    cwd: join(copy, 'catalog'),
    env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0', npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    timeoutMs: TEST_RUN_MS,
  });
}

/**
 * The tests as written, run once per lab run and shared by the checks (a fake that runs only one check runs it too):
 * remembered by the content of catalog/, so a different folder is never judged by another's run.
 */
const baselines = new Map<string, Promise<Baseline>>();

function catalogDigest(ctx: CheckContext): string {
  const hash = createHash('sha256');
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path, `${rel}/${entry.name}`);
      else if (entry.isFile()) hash.update(`${rel}/${entry.name}\0`).update(readFileSync(path)).update('\0');
    }
  };
  walk(join(ctx.servicesDir, 'catalog'), 'catalog');
  return `${ctx.servicesDir}\0${hash.digest('hex')}`;
}

function baseline(ctx: CheckContext): Promise<Baseline> {
  requireTestScript(ctx);
  const key = catalogDigest(ctx);
  let found = baselines.get(key);
  if (!found) {
    found = measureBaseline(ctx);
    baselines.set(key, found);
    // A failed measurement (the check ran out of time) is not remembered.
    found.catch(() => baselines.delete(key));
  }
  return found;
}

async function measureBaseline(ctx: CheckContext): Promise<Baseline> {
  const engine = await dockerAnswers(ctx);
  const stand = await decoy();
  try {
    // Alone on the machine while it watches: another check's test containers must not be taken for these tests'.
    return await ctx.exclusive(TESTCONTAINERS, async () => {
      const watch = engine.ok ? watchContainers(ctx) : undefined;
      const run = await runTests(ctx, stand.env);
      // Stopped because this check ran out of time: no verdict on the tests, and nothing to remember for the next check.
      if (ctx.abortSignal.aborted) fail('ran out of time while your tests ran');
      const result: Baseline = { run, passed: run.code === 0, tests: testCount(run), decoyContacts: stand.contacts() };
      if (!result.passed) ctx.note(`the end of "npm test"'s output:\n${tail(run, 40)}`);
      if (watch) result.docker = await watch.done();
      else result.dockerWhy = engine.why;
      return result;
    });
  } finally {
    stand.server.close();
  }
}

function describeFailure(run: CommandRun): string {
  const how = run.timedOut ? `did not finish within ${TEST_RUN_MS / 1000} s` : `failed (exit ${run.code ?? run.signal})`;
  return `"npm test" in catalog ${how}:\n${tail(run)}`;
}

export default defineChecks({
  checks: [
    {
      name: 'catalog-tests-pass',
      title: 'catalog has tests ("npm test" in services/catalog), and they pass',
      points: 2,
      timeout: '6m',
      hints: [
        'Run them yourself: cd services/catalog && npm test. What does it print?',
        'catalog/package.json needs a "test" script ("vitest run"), and catalog needs a vitest.config.ts of its own that includes test/**/*.test.ts — else vitest finds the kit\'s config further up and says "No test files found".',
        'The README\'s step 3 has the whole shape: beforeAll starts the database (startPostgres() from test/postgres.ts), runs migrate(db.url) and makes a pg.Pool and a ProductStore; afterAll ends the pool and calls db.stop().',
      ],
      async run(ctx) {
        const result = await baseline(ctx);
        if (!result.passed) fail(describeFailure(result.run));
        return `"npm test" in catalog passed${result.tests !== undefined ? `: ${result.tests} test${result.tests === 1 ? '' : 's'}` : ''} (${(result.run.ms / 1000).toFixed(1)} s)`;
      },
    },
    {
      name: 'own-database',
      title: 'the tests start a PostgreSQL of their own (Testcontainers when Docker answers), never the one DATABASE_URL names',
      points: 1,
      timeout: '6m',
      hints: [
        'Your tests must not depend on a database someone else runs (your platform\'s, a colleague\'s): they make their own, so they can run anywhere, any time, in parallel, and start from a known state.',
        'The check runs your tests with DATABASE_URL, VCAP_SERVICES and PGHOST/PGPORT pointing at a stand-in that is not a database. Don\'t read them in the test: take the URL startPostgres() returns.',
        'With a Docker engine, the check looks for a container Testcontainers started (its label org.testcontainers=true) while your tests ran: new PostgreSqlContainer(image).start() does, which is what startPostgres() calls.',
      ],
      async run(ctx) {
        const result = await baseline(ctx);
        if (result.decoyContacts > 0) {
          fail(`your tests connected ${result.decoyContacts} time(s) to the database the environment named (DATABASE_URL / PGHOST — the check pointed them at a stand-in that is not a database); expected them to start a PostgreSQL of their own and use the URL it gives`);
        }
        if (!result.passed) fail(`your tests do not pass (see catalog-tests-pass), so the check cannot tell which database they use:\n${tail(result.run, 6)}`);
        if (!result.docker) {
          ctx.note(`no Docker engine answered (${result.dockerWhy ?? '?'}): your tests ran with the helper's embedded PostgreSQL; the check could not see a container`);
          return 'the tests never touched the database the environment named (no Docker engine here: embedded PostgreSQL)';
        }
        const { started, leftOver } = result.docker;
        if (started.length === 0) {
          fail('your tests passed, but started no container with Testcontainers while a Docker engine answers here; expected them to run against a PostgreSQL of their own, started by Testcontainers (startPostgres() in test/postgres.ts)');
        }
        if (leftOver.length > 0) ctx.note(`your tests left ${leftOver.length} container(s) running (${leftOver.join(', ')}); the check removed them — call db.stop() in afterAll`);
        const images = [...new Set(started.map((container) => container.image))].join(', ');
        return `started ${started.length} container(s) with Testcontainers (${images}) and never touched the database the environment named`;
      },
    },
    {
      name: 'tests-catch-broken-queries',
      title: 'the tests fail when a query in catalog/src/product-store.ts is deliberately broken (each of up to four mutants)',
      points: 3,
      timeout: '15m',
      hints: [
        'A test that passes whatever the code does proves nothing. The check breaks one query at a time — get(id) finding the wrong row, list() reversed, list() cut to one product, price and stock read from each other\'s column — and runs your tests again: each time, one of them must fail.',
        'Assert on values, not on shapes: not "list() is not empty" but "list() is exactly these products, in id order"; not "get() returns something" but "get(\'x\') returns x with its name, price and stock". Also ask for an id that does not exist: undefined.',
        'Arrange your own rows (INSERT a few products with ids that sort plainly, e.g. test-a-…, test-b-…, out of order) and compare with toEqual: the whole list filtered to yours, in order; list().length against SELECT count(*); get() of one of yours against the object you inserted.',
      ],
      async run(ctx) {
        const source = ctx.readFile(STORE);
        if (source === undefined) fail(`${STORE} is not there: lab 05 tests the ProductStore of lab 04 (list() and get(id) over PostgreSQL)`);
        const plan = planMutants(source);
        if (plan.mutants.length === 0) {
          fail(`found no SQL in ${STORE} the check knows how to break (${plan.notApplied.join('; ')}); it looks for string literals with queries such as SELECT … FROM products WHERE id = $1 and … ORDER BY id. SQL seen: ${plan.sql.join(' | ') || 'none'}`);
        }
        for (const skipped of plan.notApplied) ctx.note(`not tried: ${skipped}`);
        const result = await baseline(ctx);
        if (!result.passed) fail(`your tests do not pass on your code as it is (see catalog-tests-pass): a test can only catch a broken query if it passes on a good one\n${tail(result.run, 6)}`);
        const survived: Mutant[] = [];
        const killed: string[] = [];
        for (const mutant of plan.mutants) {
          // Same environment as the run as written: the stand-in database is not running now, so reading it fails either way.
          const run = await ctx.exclusive(TESTCONTAINERS, () => runTests(ctx, { DATABASE_URL: undefined, VCAP_SERVICES: undefined, PGHOST: undefined, PGPORT: undefined, PGUSER: undefined, PGPASSWORD: undefined, PGDATABASE: undefined }, mutant.source));
          if (run.code === 0) survived.push(mutant);
          else killed.push(mutant.name);
          ctx.note(`${mutant.name} (${mutant.change}): ${run.code === 0 ? 'tests still PASS' : `tests fail (${run.timedOut ? 'time-out' : `exit ${run.code ?? run.signal}`})`}`);
        }
        if (survived.length > 0) {
          fail(
            `your tests still pass with ${survived.length} of ${plan.mutants.length} deliberate bugs in ${STORE}:\n` +
              survived.map((mutant) => `  - ${mutant.bug} (${mutant.change})`).join('\n') +
              '\nexpected at least one test to fail for each: assert the exact products and values, not only that something came back',
          );
        }
        return `each of ${plan.mutants.length} deliberate bugs made the tests fail: ${killed.join(', ')}`;
      },
    },
  ],
});
