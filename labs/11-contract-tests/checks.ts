// Lab 11 · Implicit interfaces made explicit: consumer-driven contract tests — the checks. They run your tests, always
// in a copy of your services/ inside the check's workspace, never in your folder: orders' tests (the consumer: they
// must write the pacts into services/pacts/), then catalog's and payment's (the providers: they must verify themselves
// against those pacts). Then the checks change the pacts and the providers on purpose — a field the consumer asks for
// that the provider lacks, a field renamed, dropped or retyped, a status changed, and changes no consumer can notice —
// and look whether the verification fails exactly when it should. Each change is picked at random, each run.
// Rules for checks a learner can trust: README.md, "Writing a lab".
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineChecks, fail, TESTCONTAINERS, type CheckContext, type CommandRun } from '../../platform/src/labs/check-api.js';

/** One `npm test`: a PostgreSQL to start (Testcontainers), a service or two to start, on a busy machine. */
const TEST_RUN_MS = 240_000;
const PACTS = 'pacts';
const PROVIDERS = ['catalog', 'payment'] as const;
type Provider = (typeof PROVIDERS)[number];

const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const hex = (bytes = 3) => randomBytes(bytes).toString('hex');
const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)]!;

/** The end of a run's output, as a learner wants to read it in a message: no stack frames, code frames or rulers. */
function tail(run: CommandRun, lines = 16): string {
  const text = stripAnsi(`${run.stdout}\n${run.stderr}`)
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() && !/^\s*(at |❯ |\d+\||\|)/.test(line) && !/^[\s⎯]*(\[\d+\/\d+\])?[\s⎯]*$/.test(line) && !/tracking events anonymously|PACT_DO_NOT_TRACK|^Please note:$/.test(line));
  return text.slice(-lines).map((line) => `    ${line.slice(0, 200)}`).join('\n');
}

function outcome(run: CommandRun): string {
  return run.timedOut ? `did not finish within ${TEST_RUN_MS / 1000} s` : run.code === 0 ? 'passed' : `failed (exit ${run.code ?? run.signal})`;
}

/**
 * Runs `npm test` in one service of a copy of services/. Catalog's tests start their own PostgreSQL with Testcontainers
 * (lab 05), so they run while no other check watches for such containers.
 */
function npmTest(ctx: CheckContext, copy: string, service: string): Promise<CommandRun> {
  const run = () => ctx.run('npm', ['test'], {
    cwd: join(copy, service),
    env: { NO_COLOR: '1', FORCE_COLOR: '0', PACT_DO_NOT_TRACK: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    timeoutMs: TEST_RUN_MS,
  });
  return service === 'catalog' ? ctx.exclusive(TESTCONTAINERS, run) : run();
}

function requireTestScript(ctx: CheckContext, service: string): void {
  const text = ctx.readFile(`${service}/package.json`);
  if (!text) fail(`${service}/package.json is not there`);
  let script: unknown;
  try {
    script = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts?.test;
  } catch (error) {
    fail(`${service}/package.json is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof script !== 'string' || !script.trim() || /no test specified/.test(script)) {
    fail(`${service}/package.json has no "test" script; expected one that runs its contract tests, e.g. "test": "vitest run" (README, step 1)`);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Pact files, as Pact writes them (specification 2, 3 or 4): only the parts the checks read.

interface PactFile {
  file: string;
  consumer?: string;
  provider?: string;
  json: { consumer?: { name?: string }; provider?: { name?: string }; interactions?: Interaction[] };
}
interface Interaction {
  description?: string;
  type?: string;
  request?: { method?: string; path?: string; headers?: Record<string, unknown>; body?: unknown };
  response?: { status?: number; headers?: Record<string, unknown>; body?: unknown };
}

/** A V4 pact wraps a body as { content, contentType, encoded }; V2/V3 write the JSON itself. */
function bodyOf(body: unknown): unknown {
  if (body && typeof body === 'object' && !Array.isArray(body) && 'content' in body && ('contentType' in body || 'encoded' in body)) return (body as { content: unknown }).content;
  return body;
}

function keysOf(value: unknown): string[] {
  const body = bodyOf(value);
  return body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
}

const hasKey = (record: Record<string, unknown> | undefined, name: string) => Object.keys(record ?? {}).some((key) => key.toLowerCase() === name);

function readPacts(folder: string): PactFile[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => {
      try {
        const json = JSON.parse(readFileSync(join(folder, name), 'utf8')) as PactFile['json'];
        return [{ file: name, consumer: json.consumer?.name, provider: json.provider?.name, json }];
      } catch {
        return [];
      }
    });
}

/** The interactions orders' pacts declare with one provider. */
function interactions(pacts: PactFile[], provider: Provider): Interaction[] {
  return pacts.filter((pact) => pact.consumer === 'orders' && pact.provider === provider).flatMap((pact) => pact.json.interactions ?? []);
}

const describeInteraction = (i: Interaction) => `${i.request?.method ?? '?'} ${i.request?.path ?? '?'} → ${i.response?.status ?? '?'} {${keysOf(i.response?.body).join(', ')}}`;

/** What orders really needs from catalog: GET /products/:id answering 200 with the price. */
function catalogProblem(found: Interaction[]): string | undefined {
  const gets = found.filter((i) => (i.request?.method ?? 'GET').toUpperCase() === 'GET' && /^\/products\/[^/]+$/.test(String(i.request?.path ?? '')));
  if (gets.length === 0) return 'no interaction GET /products/<id> (the request orders makes for every order)';
  const ok = gets.filter((i) => i.response?.status === 200);
  if (ok.length === 0) return `no GET /products/<id> answered 200 (seen: ${gets.map(describeInteraction).join('; ')})`;
  if (!ok.some((i) => keysOf(i.response?.body).includes('priceCents'))) {
    return `GET /products/<id> → 200 does not name priceCents in its body (seen: ${ok.map(describeInteraction).join('; ')}); orders reads the price from it, so the contract must say it is there`;
  }
  return undefined;
}

/** What orders really needs from payment: POST /payments with its key, the idempotency key and the charge; 201 with the payment's id. */
function paymentProblem(found: Interaction[]): string | undefined {
  const posts = found.filter((i) => String(i.request?.method ?? '').toUpperCase() === 'POST' && i.request?.path === '/payments');
  if (posts.length === 0) return 'no interaction POST /payments (the charge orders makes for every order)';
  const asOrdersSends = posts.filter((i) => hasKey(i.request?.headers, 'idempotency-key') && hasKey(i.request?.headers, 'authorization') && ['orderId', 'amountCents'].every((key) => keysOf(i.request?.body).includes(key)));
  if (asOrdersSends.length === 0) {
    return 'POST /payments is not declared as orders sends it: the headers Authorization and Idempotency-Key, and a body with orderId and amountCents';
  }
  if (!asOrdersSends.some((i) => (i.response?.status === 201 || i.response?.status === 200) && keysOf(i.response?.body).includes('paymentId'))) {
    return `POST /payments does not answer 201 with paymentId in its body (seen: ${asOrdersSends.map(describeInteraction).join('; ')}); orders keeps the payment's id, so the contract must say it is there`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// orders' tests, run once per lab run and shared by the checks: remembered by the content of services/ (without
// node_modules and the pacts, which the run writes anew), so a different folder is never judged by another's run.

interface ConsumerRun {
  run: CommandRun;
  /** the pact files the run wrote into services/pacts/, by name: text as written */
  written: Map<string, string>;
  pacts: PactFile[];
}

const consumerRuns = new Map<string, Promise<ConsumerRun>>();

function servicesDigest(ctx: CheckContext): string {
  const hash = createHash('sha256');
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && rel + entry.name !== PACTS) walk(path, `${rel}${entry.name}/`);
      else if (entry.isFile()) hash.update(`${rel}${entry.name}\0`).update(readFileSync(path)).update('\0');
    }
  };
  walk(ctx.servicesDir, '');
  return `${ctx.servicesDir}\0${hash.digest('hex')}`;
}

function consumerRun(ctx: CheckContext): Promise<ConsumerRun> {
  requireTestScript(ctx, 'orders');
  const key = servicesDigest(ctx);
  let found = consumerRuns.get(key);
  if (!found) {
    found = (async () => {
      const copy = ctx.copyServices();
      // Pacts already in the folder prove nothing about the code as it is now: only what this run writes counts.
      rmSync(join(copy, PACTS), { recursive: true, force: true });
      const run = await npmTest(ctx, copy, 'orders');
      if (ctx.abortSignal.aborted) fail('ran out of time while orders\' tests ran');
      const folder = join(copy, PACTS);
      const written = new Map<string, string>();
      if (existsSync(folder)) for (const name of readdirSync(folder).filter((file) => file.endsWith('.json'))) written.set(name, readFileSync(join(folder, name), 'utf8'));
      return { run, written, pacts: readPacts(folder) };
    })();
    consumerRuns.set(key, found);
    // A failed measurement (the check ran out of time) is not remembered.
    found.catch(() => consumerRuns.delete(key));
  }
  return found;
}

/** The pacts orders' tests wrote, once they pass and name both providers; otherwise this check cannot go on. */
async function consumerPacts(ctx: CheckContext): Promise<ConsumerRun> {
  const consumer = await consumerRun(ctx);
  if (consumer.run.code !== 0) fail(`orders' tests do not pass (see consumer-writes-pacts), so there are no pacts to verify:\n${tail(consumer.run, 6)}`);
  const missing = PROVIDERS.filter((provider) => interactions(consumer.pacts, provider).length === 0);
  if (missing.length > 0) fail(`orders' tests wrote no pact with ${missing.join(' and ')} (see consumer-writes-pacts)`);
  return consumer;
}

/** A fresh copy of services/ whose pacts/ holds exactly `written` (what orders' tests wrote, or a changed version of it). */
function copyWithPacts(ctx: CheckContext, written: Map<string, string>): string {
  const copy = ctx.copyServices();
  const folder = join(copy, PACTS);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const [name, text] of written) writeFileSync(join(folder, name), text);
  return copy;
}

// ---------------------------------------------------------------------------------------------------------------------
// Changes to a provider, made in its code: one line of middleware right after `const app = express()` in its
// src/index.ts, which rewrites the JSON the provider answers with (and, for a status change, the status).

interface Change {
  /** what it does, for the message */
  what: string;
  /** JavaScript statements on `o`, one JSON object the provider answers with */
  edit?: string;
  /** a status the provider answers with, replaced */
  status?: [number, number];
}

const js = (value: string) => JSON.stringify(value);
const renameKey = (from: string, to: string): Change => ({ what: `${from} renamed to ${to}`, edit: `if (${js(from)} in o) { o[${js(to)}] = o[${js(from)}]; delete o[${js(from)}]; }` });
const dropKey = (name: string): Change => ({ what: `${name} left out of the answer`, edit: `delete o[${js(name)}];` });
const addKey = (name: string, value: string): Change => ({ what: `a new field ${name} added`, edit: `o[${js(name)}] = ${js(value)};` });

/** What orders reads, changed in a way orders would notice: one picked at random per provider and run. */
function breakingChange(provider: Provider): Change {
  if (provider === 'catalog') {
    return pick<() => Change>([
      () => renameKey('priceCents', `price${pick(['', 'In', 'Amount', 'Value'])}_${hex(2)}`),
      () => dropKey('priceCents'),
      () => ({ what: 'priceCents turned into a string (e.g. "1250" for 1250)', edit: `if ("priceCents" in o) o.priceCents = String(o.priceCents);` }),
    ])();
  }
  return pick<() => Change>([
    () => renameKey('paymentId', `${pick(['id', 'payment', 'paymentRef', 'chargeId'])}_${hex(2)}`),
    () => dropKey('paymentId'),
    () => ({ what: 'a payment answered 202 instead of 201', status: [201, 202] }),
  ])();
}

/** Changes no consumer that reads only what orders reads can notice: a field added, and one orders never reads changed. */
function harmlessChange(provider: Provider): Change {
  const unread = provider === 'catalog' ? pick(['name', 'stock']) : pick(['status', 'orderId', 'amountCents']);
  const changed = pick([renameKey(unread, `${unread}_${hex(2)}`), dropKey(unread)]);
  const added = addKey(`${pick(['currency', 'updatedAt', 'tags', 'note'])}_${hex(2)}`, hex(4));
  return { what: `${added.what}, ${changed.what}`, edit: `${added.edit} ${changed.edit}` };
}

/** Puts `change` into the provider's src/index.ts in `copy`, right after the express app is made. */
function applyChange(copy: string, provider: Provider, change: Change): void {
  const file = join(copy, provider, 'src', 'index.ts');
  const source = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const made = /^([ \t]*)(?:const|let|var)\s+(\w+)\s*=\s*express\(\s*\)\s*;?[ \t]*$/m.exec(source);
  if (!made) fail(`found no "const app = express();" in ${provider}/src/index.ts: the check changes ${provider} right after the line that makes its express app`);
  const app = made[2]!;
  const status = change.status ? `if (res.statusCode === ${change.status[0]}) res.status(${change.status[1]});` : '';
  const edit = change.edit ?? '';
  const line =
    `${made[1]}${app}.use((_req: any, res: any, next: any) => { const json = res.json.bind(res); const each = (o: any) => { if (o && typeof o === 'object' && !Array.isArray(o)) { o = { ...o }; ${edit} } return o; }; ` +
    `res.json = (body: any) => { ${status} return json(Array.isArray(body) ? body.map(each) : each(body)); }; next(); });`;
  const at = made.index + made[0].length;
  writeFileSync(file, `${source.slice(0, at)}\n${line}${source.slice(at)}`);
}

/** Adds, to one interaction of each pact with `provider` that answers 2xx, a field in the answer the provider never sends. */
function demandMissingField(written: Map<string, string>, provider: Provider, field: string, value: string): Map<string, string> {
  const changed = new Map(written);
  for (const [name, text] of written) {
    const json = JSON.parse(text) as PactFile['json'];
    if (json.consumer?.name !== 'orders' || json.provider?.name !== provider) continue;
    const target = (json.interactions ?? []).find((i) => i.response && (i.response.status ?? 200) >= 200 && (i.response.status ?? 200) < 300);
    if (!target?.response) continue;
    const body = target.response.body;
    if (body && typeof body === 'object' && 'content' in body && bodyOf(body) !== body) {
      const inner = (body as { content: unknown }).content;
      (body as { content: unknown }).content = inner && typeof inner === 'object' && !Array.isArray(inner) ? { ...inner, [field]: value } : { [field]: value };
    } else {
      target.response.body = body && typeof body === 'object' && !Array.isArray(body) ? { ...body, [field]: value } : { [field]: value };
    }
    changed.set(name, JSON.stringify(json, null, 2));
  }
  return changed;
}

/** Runs both providers' tests in a copy made by `prepare`, side by side. */
async function verifyBoth(ctx: CheckContext, prepare: (provider: Provider) => string): Promise<Record<Provider, CommandRun>> {
  for (const provider of PROVIDERS) requireTestScript(ctx, provider);
  const [catalog, payment] = await Promise.all(PROVIDERS.map((provider) => npmTest(ctx, prepare(provider), provider)));
  if (ctx.abortSignal.aborted) fail('ran out of time while the providers\' tests ran');
  return { catalog: catalog!, payment: payment! };
}

export default defineChecks({
  checks: [
    {
      name: 'consumer-writes-pacts',
      title: 'orders\' tests pass and write pacts into services/pacts/: what orders needs from catalog and from payment',
      points: 3,
      timeout: '6m',
      hints: [
        'Run them yourself: cd services/orders && npm test — then look into services/pacts/. Two files should be there, orders-catalog.json and orders-payment.json.',
        'Each PactV3 needs consumer: "orders", provider: "catalog" (or "payment") and dir pointing at services/pacts (from orders/test: new URL("../../pacts", import.meta.url)). The pact is written only when executeTest\'s test passes.',
        'The catalog pact needs GET /products/<id> answering 200 with priceCents in the body; the payment pact POST /payments with the headers Authorization and Idempotency-Key and a body with orderId and amountCents, answering 201 with paymentId. README step 2 has the whole test.',
      ],
      async run(ctx) {
        const { run, pacts } = await consumerRun(ctx);
        if (run.code !== 0) fail(`"npm test" in orders ${outcome(run)}:\n${tail(run)}`);
        const problems: string[] = [];
        for (const provider of PROVIDERS) {
          const found = interactions(pacts, provider);
          if (found.length === 0) {
            const seen = pacts.map((pact) => `${pact.file} (${pact.consumer ?? '?'} → ${pact.provider ?? '?'})`).join(', ');
            problems.push(`no pact between consumer "orders" and provider "${provider}" in services/pacts/ (found: ${seen || 'no pact files'})`);
            continue;
          }
          const problem = provider === 'catalog' ? catalogProblem(found) : paymentProblem(found);
          if (problem) problems.push(`${provider}: ${problem}`);
        }
        if (problems.length > 0) fail(`orders' tests passed, but the pacts they wrote do not say what orders needs:\n${problems.map((line) => `  - ${line}`).join('\n')}`);
        const counts = PROVIDERS.map((provider) => {
          const count = interactions(pacts, provider).length;
          return `${count} interaction${count === 1 ? '' : 's'} with ${provider}`;
        }).join(', ');
        return `orders' tests passed and wrote ${pacts.length} pact${pacts.length === 1 ? '' : 's'}: ${counts}`;
      },
    },
    {
      name: 'providers-verify',
      title: 'catalog\'s and payment\'s tests verify them against the pacts orders wrote: they pass, and fail when a pact asks for more',
      points: 2,
      timeout: '10m',
      hints: [
        'Run them yourself after orders\' tests: cd services/catalog && npm test, then the same in services/payment. The verification prints each interaction with OK or the mismatch.',
        'The Verifier must read the pacts in services/pacts/ as orders\' tests just wrote them (not a copy kept elsewhere) and replay them against the real service, started by the test — the check also asks once for a field no provider has, and then the verification must fail.',
        'catalog: stateHandlers must make "a product exists" true in catalog\'s own test database (INSERT … ON CONFLICT DO UPDATE); payment: requestFilter puts the test\'s own API key into Authorization. README steps 3 and 4 have both tests.',
      ],
      async run(ctx) {
        const { written } = await consumerPacts(ctx);
        const plain = await verifyBoth(ctx, () => copyWithPacts(ctx, written));
        const failed = PROVIDERS.filter((provider) => plain[provider].code !== 0);
        if (failed.length > 0) {
          fail(failed.map((provider) => `"npm test" in ${provider}, with the pacts orders' tests wrote, ${outcome(plain[provider])}:\n${tail(plain[provider])}`).join('\n'));
        }
        // The other side: a pact that asks for a field no provider sends must fail the verification.
        const field = `${pick(['discount', 'currency', 'receipt', 'vat'])}_${hex(2)}`;
        const value = hex(4);
        const demanding = await verifyBoth(ctx, (provider) => copyWithPacts(ctx, demandMissingField(written, provider, field, value)));
        const passed = PROVIDERS.filter((provider) => demanding[provider].code === 0);
        for (const provider of PROVIDERS) ctx.note(`${provider}, the pact asking for "${field}" too: ${outcome(demanding[provider])}`);
        if (passed.length > 0) {
          fail(
            `${passed.join(' and ')}'s tests still pass when orders' pact asks for a field "${field}" that ${passed.length === 1 ? 'it does' : 'they do'} not send; ` +
              'expected the verification to fail: verify the pacts in services/pacts/ (as orders\' tests wrote them), not a copy, and never let the test pass when the Verifier fails',
          );
        }
        return `catalog and payment pass against the pacts orders wrote, and both fail when the pact asks for a field they do not send`;
      },
    },
    {
      name: 'breaking-change-caught',
      title: 'a provider changed in a way orders would notice (a field renamed, dropped or retyped, a status changed) fails its verification',
      points: 3,
      timeout: '10m',
      hints: [
        'A contract test earns its keep when it fails before the deploy that would have broken orders. The check changes catalog and payment the way a colleague might — renames priceCents, answers 202 instead of 201 … — and runs their tests: each must fail.',
        'Verify against the real provider started by the test (node --import tsx src/index.ts, or its app), never a stub written in the test, and let the Verifier\'s failure fail the test (await verifyProvider(); no catch, no "|| true").',
        'The check puts one line of middleware right after "const app = express()" in catalog/src/index.ts and payment/src/index.ts, rewriting the JSON they answer with; the provider test must run src/index.ts as it is (test/run-service.ts does).',
      ],
      async run(ctx) {
        const { written } = await consumerPacts(ctx);
        const changes = { catalog: breakingChange('catalog'), payment: breakingChange('payment') };
        const runs = await verifyBoth(ctx, (provider) => {
          const copy = copyWithPacts(ctx, written);
          applyChange(copy, provider, changes[provider]);
          return copy;
        });
        for (const provider of PROVIDERS) ctx.note(`${provider}, ${changes[provider].what}: ${outcome(runs[provider])}`);
        const missed = PROVIDERS.filter((provider) => runs[provider].code === 0);
        if (missed.length > 0) {
          fail(
            `${missed.map((provider) => `${provider}'s tests still pass with ${changes[provider].what}`).join('; ')}: a change that breaks orders went unnoticed. ` +
              'Expected the verification against orders\' pact to fail: it must replay the pact against the real provider, and the pact must pin what orders reads',
          );
        }
        return `both verifications failed on a breaking change: ${PROVIDERS.map((provider) => `${provider} (${changes[provider].what})`).join(', ')}`;
      },
    },
    {
      name: 'harmless-change-passes',
      title: 'a provider changed in a way orders cannot notice (a field added, a field orders never reads changed) still passes',
      points: 1,
      timeout: '10m',
      hints: [
        'A contract that pins more than the consumer uses stops providers from changing what nobody reads. The check adds a field to catalog\'s and payment\'s answers and renames or drops one orders never reads (a product\'s name or stock; a payment\'s status, orderId or amountCents): their tests must still pass.',
        'In orders\' pact, name only the fields orders reads: a product\'s priceCents, a payment\'s paymentId. Leave the others out of the response body; Pact allows fields the pact does not name.',
        'Match by type, not by value, where the provider\'s data is not the point: integer(1250) for priceCents, string(\'pay-1\') for paymentId.',
      ],
      async run(ctx) {
        const { written } = await consumerPacts(ctx);
        const changes = { catalog: harmlessChange('catalog'), payment: harmlessChange('payment') };
        const runs = await verifyBoth(ctx, (provider) => {
          const copy = copyWithPacts(ctx, written);
          applyChange(copy, provider, changes[provider]);
          return copy;
        });
        for (const provider of PROVIDERS) ctx.note(`${provider}, ${changes[provider].what}: ${outcome(runs[provider])}`);
        const failed = PROVIDERS.filter((provider) => runs[provider].code !== 0);
        if (failed.length > 0) {
          fail(
            failed.map((provider) => `${provider}'s tests fail after a change orders cannot notice (${changes[provider].what}):\n${tail(runs[provider], 10)}`).join('\n') +
              '\nexpected them to pass: the pact should name only what orders reads (see providers-verify first if they fail without any change)',
          );
        }
        return `both verifications still pass: ${PROVIDERS.map((provider) => `${provider} (${changes[provider].what})`).join(', ')}`;
      },
    },
  ],
});
