// Lab 08 · Monitoring — the checks. They run against a throwaway copy of your services/.
import { randomBytes, randomUUID } from 'node:crypto';
import { defineChecks, describeAnswer as describe, fail, type CheckContext, type HttpAnswer } from '../../platform/src/labs/check-api.js';
import { parsePrometheus, type Family, type Sample } from './prometheus.js';

/** Every service of the shop: each logs the id of a request it serves and exposes its own metrics. */
const SERVICES = ['web', 'orders', 'catalog', 'payment', 'notifier'] as const;
type Service = (typeof SERVICES)[number];

/** One order placed from the storefront reaches each service with this request (the path each service sees). */
const HOPS: Record<Service, { method: string; path: (productId: string) => string; status: number }> = {
  web: { method: 'POST', path: () => '/orders', status: 201 },
  orders: { method: 'POST', path: () => '/orders', status: 201 },
  catalog: { method: 'GET', path: (productId) => `/products/${productId}`, status: 200 },
  payment: { method: 'POST', path: () => '/payments', status: 201 },
  notifier: { method: 'POST', path: () => '/notifications', status: 201 },
};

const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

interface Product {
  id: string;
  priceCents: number;
}

async function products(ctx: CheckContext): Promise<Product[]> {
  const answer = await ctx.http.get('/catalog/products');
  const list = answer.json as Product[] | undefined;
  if (answer.status !== 200 || !Array.isArray(list) || list.length < 4) fail(`GET /catalog/products answered ${describe(answer)}; expected 200 with the list of products`);
  return list;
}

/**
 * An order placed through the storefront: POST /web/orders, optionally with our own x-request-id. A 503 is a shop
 * saying "not now" (from lab 07 on, an open circuit after a dependency's bad spell, e.g. the chaos of lab 07's checks
 * run just before): asked again after the few seconds it asks for, twice at most, as a polite client would.
 */
async function order(ctx: CheckContext, product: Product, quantity: number, requestId?: string): Promise<HttpAnswer> {
  const place = () => ctx.http.post('/web/orders', { productId: product.id, quantity }, { headers: requestId ? { 'x-request-id': requestId } : {}, timeoutMs: 20_000 });
  let answer = await place();
  for (let again = 0; again < 2 && answer.status === 503; again++) {
    const waitSeconds = Math.min(Number(answer.headers['retry-after']) || 5, 6);
    ctx.note(`POST /web/orders answered 503 (${describe(answer)}); asked again after ${waitSeconds} s`);
    await new Promise((done) => setTimeout(done, waitSeconds * 1000));
    answer = await place();
  }
  if (answer.status !== 201) {
    fail(`POST /web/orders {"productId":"${product.id}","quantity":${quantity}} answered ${describe(answer)}; expected 201 with the order, placed by orders (web passes the order on to \${ORDERS_URL}/orders)`);
  }
  const amount = (answer.json as { amountCents?: unknown } | undefined)?.amountCents;
  if (amount !== product.priceCents * quantity) fail(`POST /web/orders for ${quantity} × ${product.id} came back with amountCents ${JSON.stringify(amount)}; expected ${product.priceCents * quantity}: the order as orders placed it`);
  return answer;
}

// ---- logs -----------------------------------------------------------------------------------------------------------

interface LogLine {
  time: string;
  source: string;
  line: string;
}
interface AccessLine {
  /** when the answer ended; the request began `ms` earlier */
  time: string;
  ms: number;
  id: string;
  method: string;
  route: string;
  path: string;
  instance?: string;
  status: number;
}
interface Trace {
  logs: LogLine[];
  hops: AccessLine[];
}

/** `tall logs --request <id> --json`: the router's access lines for the id and every service log line carrying it. */
async function trace(ctx: CheckContext, id: string): Promise<Trace> {
  const run = await ctx.tall(['logs', '--request', id, '--json']);
  const found: Trace = { logs: [], hops: [] };
  for (const text of run.stdout.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      const item = JSON.parse(text) as { kind: string; entry: LogLine & AccessLine };
      if (item.kind === 'log') found.logs.push(item.entry);
      else if (item.kind === 'access') found.hops.push(item.entry);
    } catch {
      // not a line of the trace
    }
  }
  return found;
}

const serviceOf = (source: string) => source.split('/')[0]!;

/**
 * Which services the router saw the id reach, and which logged it: complete once every service did both. From lab 10
 * on, the notifier gets the order as a message through the broker, not as a request through the router: the id
 * travels in the message, and the notifier logging it is how it shows it was reached.
 */
function coverage(found: Trace): { reached: Set<string>; logged: Set<string> } {
  const reached = new Set(found.hops.map((hop) => hop.route));
  const logged = new Set(found.logs.map((line) => serviceOf(line.source)));
  if (logged.has('notifier')) reached.add('notifier');
  return { reached, logged };
}

/** Waits (logs may lag) until every service logged the id and the router saw it reach every service, or time is up. */
async function traceOf(ctx: CheckContext, id: string, timeoutMs: number): Promise<Trace> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = await trace(ctx, id);
    const { reached, logged } = coverage(found);
    if (SERVICES.every((service) => reached.has(service) && logged.has(service)) || Date.now() > until) return found;
    await ctx.sleep(1000);
  }
}

/** The request ids a structured line names: the fields `tall logs --request` reads (reqId, requestId, req.id, a logged x-request-id). */
function idsOf(record: Record<string, unknown>): string[] {
  const req = (record.req ?? {}) as { id?: unknown; headers?: Record<string, unknown> };
  return [record.reqId, record.requestId, req.id, req.headers?.['x-request-id']].filter((id) => typeof id === 'string' || typeof id === 'number').map(String);
}

/**
 * The lines an instance wrote while it served one hop of a request (by the time each line says it was written, pino's
 * `time`, else when the platform read it): the router timed the hop, so nothing of that request is written outside it.
 */
async function linesDuring(ctx: CheckContext, hop: AccessLine): Promise<LogLine[]> {
  const end = Date.parse(hop.time);
  const began = end - hop.ms;
  const run = await ctx.tall(['logs', hop.instance!, '--json', '-n', '400']);
  return run.stdout.split('\n').flatMap((text) => {
    try {
      const entry = JSON.parse(text) as LogLine;
      let at = Date.parse(entry.time);
      try {
        const own = (JSON.parse(entry.line) as { time?: unknown }).time;
        if (typeof own === 'number') at = own;
        else if (typeof own === 'string' && !Number.isNaN(Date.parse(own))) at = Date.parse(own);
      } catch {
        // plain text: when the platform read it
      }
      return at >= began && at <= end ? [entry] : [];
    } catch {
      return [];
    }
  });
}

const PINO_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Why a line is not a structured (pino-shaped) log record, or undefined when it is one. */
function notStructured(line: string): string | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!record || typeof record !== 'object' || Array.isArray(record)) return 'not a JSON object';
  const { level, msg, message } = record as Record<string, unknown>;
  if (!(typeof level === 'number' || (typeof level === 'string' && PINO_LEVELS.has(level.toLowerCase())))) return 'no "level" (a number, as pino writes it, or trace…fatal)';
  if (typeof (msg ?? message) !== 'string') return 'no "msg" (the message, as a string)';
  return undefined;
}

// ---- metrics --------------------------------------------------------------------------------------------------------

const METHOD_LABELS = ['method'];
const ROUTE_LABELS = ['route', 'path', 'handler', 'endpoint', 'uri', 'url'];
const STATUS_LABELS = ['status', 'code', 'status_code', 'statusCode', 'status_class'];

const labelOf = (sample: Sample, names: string[]) => names.map((name) => sample.labels[name]).find((value) => value !== undefined);
const labelName = (family: Family, names: string[]) => names.find((name) => family.samples.some((sample) => sample.labels[name] !== undefined));

/** A route label that names this path: the path itself, or the route as written (/products/:id, /products/{id}), with or without the router's /<service> prefix. */
function routeMatches(value: string | undefined, service: string, path: string): boolean {
  if (value === undefined) return false;
  const route = value.split('?')[0]!.replace(/\/+$/, '') || '/';
  const pattern = (text: string) => new RegExp(`^${text.split('/').map((part) => (/^(:\w+\??|\{\w+\}|\*|<\w+>)$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
  return pattern(route).test(path) || pattern(route).test(`/${service}${path}`);
}

/** What the platform asks an instance by itself (probes, scrapes): not traffic, and not what the platform check compares. */
const PLATFORM_ROUTES = /^(\/\w+)?\/(metrics|health|ready|info)$/;

const statusMatches = (value: string | undefined, status: number) => value !== undefined && (value === String(status) || value.toLowerCase() === `${String(status)[0]}xx`);

/** A page of metrics per running instance of a service, read at the instance's own address (not through the router). */
async function readMetrics(ctx: CheckContext, service: string, path: string): Promise<Map<string, Family[]>> {
  const pages = new Map<string, Family[]>();
  for (const instance of await ctx.instances(service)) {
    if (instance.state !== 'running') continue;
    const answer = await ctx.http.get(`http://${instance.address}${path}`);
    if (answer.status !== 200) fail(`GET ${path} on ${instance.id} (its own address, as the platform scrapes it) answered ${describe(answer)}; expected 200 with the metrics in Prometheus' text format`);
    const families = parsePrometheus(answer.text);
    if (families.length === 0) fail(`GET ${path} on ${instance.id} answered 200 but no metrics in Prometheus' text format: ${describe(answer)}`);
    pages.set(instance.id, families);
  }
  return pages;
}

interface Sent {
  service: string;
  method: string;
  /** the paths the service saw (each product its own, for the catalog): a route label must name one of them */
  paths: string[];
  status: number;
  count: number;
  /** errors are counted whatever the route label says (a request that matched no route has none of its own) */
  anyRoute?: boolean;
}

/** The sum over every instance of the samples of family `name` (series `sampleName`) that `keep` selects. */
function total(pages: Map<string, Family[]>, name: string, sampleName: string, keep: (sample: Sample) => boolean): number {
  let sum = 0;
  for (const families of pages.values()) {
    for (const sample of families.find((family) => family.name === name)?.samples ?? []) if (sample.name === sampleName && keep(sample)) sum += sample.value;
  }
  return sum;
}

const selects = (sent: Sent, family: Family, withRoute: boolean) => (sample: Sample) => {
  const method = labelOf(sample, METHOD_LABELS);
  if (method !== undefined && method.toUpperCase() !== sent.method) return false;
  if (labelName(family, STATUS_LABELS) && !statusMatches(labelOf(sample, STATUS_LABELS), sent.status)) return false;
  return !withRoute || sent.paths.some((path) => routeMatches(labelOf(sample, ROUTE_LABELS), sent.service, path));
};

/** How a family counts requests: a counter, or a histogram's _count. */
const countSeries = (family: Family) => (family.type === 'histogram' || family.type === 'summary' ? `${family.name}_count` : family.samples.find((sample) => sample.name.endsWith('_total'))?.name ?? family.name);

/**
 * What a service's metrics say about what we sent, family by family: the request counts (a counter, or a histogram's
 * _count, labelled by method, route and status) and a duration histogram by route.
 */
function judge(service: string, before: Map<string, Family[]>, after: Map<string, Family[]>, sent: Sent[]): { ok: boolean; saw: string } {
  const families = [...after.values()].flat();
  const names = [...new Set(families.map((family) => family.name))];
  const byName = (name: string) => families.find((family) => family.name === name)!;
  const success = sent.filter((item) => !item.anyRoute);
  const seen: string[] = [];
  let counter: string | undefined;
  for (const name of names) {
    const family = byName(name);
    if (!['counter', 'histogram', 'untyped'].includes(family.type)) continue;
    if (!labelName(family, METHOD_LABELS) || !labelName(family, ROUTE_LABELS) || !labelName(family, STATUS_LABELS)) continue;
    const series = countSeries(family);
    const deltas = sent.map((item) => total(after, name, series, selects(item, family, !item.anyRoute)) - total(before, name, series, selects(item, family, !item.anyRoute)));
    seen.push(`${name}: ${sent.map((item, i) => `${item.method} ${item.anyRoute ? '(any route)' : item.paths[0]} ${item.status} +${deltas[i]}`).join(', ')}`);
    if (deltas.every((delta, i) => delta === sent[i]!.count)) {
      counter = name;
      break;
    }
  }
  let histogram: string | undefined;
  for (const name of names) {
    const family = byName(name);
    if (family.type !== 'histogram' || !labelName(family, ROUTE_LABELS)) continue;
    if (!family.samples.some((sample) => sample.name === `${name}_bucket`)) continue;
    const ok = success.every((item) => {
      const keep = (sample: Sample) => item.paths.some((path) => routeMatches(labelOf(sample, ROUTE_LABELS), item.service, path)) && (labelOf(sample, METHOD_LABELS) ?? item.method).toUpperCase() === item.method;
      return total(after, name, `${name}_count`, keep) - total(before, name, `${name}_count`, keep) === item.count;
    });
    if (ok) {
      histogram = name;
      break;
    }
  }
  const problems: string[] = [];
  if (!counter) {
    problems.push(seen.length
      ? `no request count rose by what was sent (${sent.map((item) => `${item.count} × ${item.method} ${item.anyRoute ? 'to unknown paths' : item.paths.join(' or ')} → ${item.status}`).join(', ')}); it saw ${seen.join('; ')}`
      : `no counter (or histogram) of requests labelled by method, route (${ROUTE_LABELS.join('/')}) and status (${STATUS_LABELS.join('/')}) among ${names.filter((name) => !/^(process|nodejs)_/.test(name)).join(', ') || 'its metrics'}`);
  }
  if (!histogram) problems.push(`no histogram of durations by route whose _count rose by the ${success.map((item) => `${item.count} × ${item.method} ${item.paths.join(' or ')}`).join(', ')} sent`);
  return { ok: problems.length === 0, saw: problems.length ? `${service}: ${problems.join('; ')}` : `${service}: ${counter} +${sent.map((item) => item.count).join('/+')}, ${histogram}` };
}

/** How many answers with `status` the router has passed on from `service` (its own tall_http_requests_total). */
async function routerCount(ctx: CheckContext, service: string, status: number): Promise<number> {
  const ps = await ctx.tallJson<{ metricsUrl?: string }>(['ps']);
  if (!ps.metricsUrl) fail('"tall ps --json" shows no metricsUrl: the platform serves no metrics');
  const samples = parsePrometheus((await ctx.http.get(ps.metricsUrl)).text).flatMap((family) => family.samples);
  return samples.filter((sample) => sample.name === 'tall_http_requests_total' && sample.labels.service === service && sample.labels.code === String(status)).reduce((sum, sample) => sum + sample.value, 0);
}

function metricsPaths(ctx: CheckContext): Map<string, string> {
  const paths = new Map<string, string>();
  const missing: string[] = [];
  for (const service of SERVICES) {
    const spec = ctx.compose().find((candidate) => candidate.name === service);
    if (spec?.tall.metricsPath) paths.set(service, spec.tall.metricsPath);
    else missing.push(service);
  }
  if (missing.length) fail(`${missing.join(', ')}: no x-tall.metrics_path in compose.yaml; expected every service to say where its metrics are (e.g. metrics_path: /metrics under x-tall), so the platform scrapes them`);
  return paths;
}

export default defineChecks({
  checks: [
    {
      name: 'order-through-web',
      title: 'the storefront places an order through orders: POST /web/orders answers 201 with the order',
      points: 1,
      timeout: '40s',
      hints: [
        'Try it: curl -si -X POST http://127.0.0.1:8080/web/orders -H \'content-type: application/json\' -d \'{"productId":"pager-duck","quantity":2}\'',
        'web needs to know where orders is, the way it knows the catalog: ORDERS_URL: ${ROUTER_URL:-http://127.0.0.1:8080}/orders in web\'s environment in compose.yaml, read with required(\'ORDERS_URL\').',
        'In web: app.use(express.json()), then app.post(\'/orders\', …) that POSTs {productId, quantity} to `${ORDERS_URL}/orders` and answers with the status and body orders answered. The lab\'s README has the whole handler.',
      ],
      async run(ctx) {
        const placed: string[] = [];
        for (const product of shuffle(await products(ctx)).slice(0, 2)) {
          const quantity = between(1, 4);
          const answer = await order(ctx, product, quantity);
          const id = (answer.json as { id?: unknown }).id;
          if (typeof id !== 'string') fail(`POST /web/orders answered 201 but without the order's id: ${describe(answer)}`);
          const kept = await ctx.http.get(`/orders/orders/${encodeURIComponent(id)}`);
          if (kept.status !== 200) fail(`web answered order ${id}, but GET /orders/orders/${id} answered ${describe(kept)}: expected orders to have placed it`);
          placed.push(`${quantity} × ${product.id}`);
        }
        return `placed ${placed.join(', ')} through web`;
      },
    },
    {
      name: 'request-id-everywhere',
      title: 'an x-request-id sent to web is passed on and logged by web, orders, catalog, payment and notifier',
      points: 3,
      timeout: '60s',
      hints: [
        'Send your own id and follow it: curl -s -X POST http://127.0.0.1:8080/web/orders -H \'x-request-id: my-first-trace\' -H \'content-type: application/json\' -d \'{"productId":"pager-duck"}\', then npx tall logs --request my-first-trace. Which services show a line? Which hops does the router show?',
        'Two halves: each service must log the id of the request it serves (read it from the x-request-id header; pino-http with genReqId does it), and must send it on, as x-request-id, on every call it makes to another service — else the router gives the next hop a new id.',
        'pino-http({ genReqId: (req) => req.headers[\'x-request-id\'] ?? randomUUID(), quietReqLogger: true }) logs reqId on every req.log line. To pass it on, keep the id where the code that calls out can find it (an AsyncLocalStorage run around next(), or req.id handed down) and add headers: { \'x-request-id\': id } to every fetch.',
      ],
      async run(ctx) {
        const [product] = shuffle(await products(ctx));
        const id = randomUUID();
        const answer = await order(ctx, product!, between(1, 3), id);
        if (answer.headers['x-request-id'] !== id) ctx.note(`the answer's x-request-id is ${answer.headers['x-request-id'] ?? '(none)'}`);
        const found = await traceOf(ctx, id, 30_000);
        const { reached, logged } = coverage(found);
        const notReached = SERVICES.filter((service) => !reached.has(service));
        const notLogged = SERVICES.filter((service) => !logged.has(service));
        const problems: string[] = [];
        if (notReached.length) {
          const hops = found.hops.map((hop) => `${hop.method} /${hop.route}${hop.path} → ${hop.instance ?? '?'}`).join(', ') || 'none';
          problems.push(`the router saw request ${id} reach ${hops}, but not ${notReached.join(', ')}: the calls to ${notReached.join(', ')} went out without it (a caller that does not pass x-request-id on gets a new id from the router)`);
        }
        if (notLogged.length) problems.push(`no log line of ${notLogged.join(', ')} carries ${id} (as reqId, requestId or req.id in a JSON line, or the id in the text); expected every service that served the request to log its id`);
        if (problems.length) fail(`${problems.join('\n')}\n(npx tall logs --request <id> shows what the check saw)`);
        // And only the ids sent: an id nobody sent appears nowhere.
        const unsent = randomUUID();
        const stray = await trace(ctx, unsent);
        if (stray.logs.length) fail(`an id the check never sent (${unsent}) is in ${[...new Set(stray.logs.map((line) => line.source))].join(', ')}'s logs: expected only ids of requests that happened`);
        return `${id}: ${SERVICES.map((service) => `${service} (${found.logs.filter((line) => serviceOf(line.source) === service).length} lines)`).join(', ')}`;
      },
    },
    {
      name: 'logs-are-json',
      title: 'the lines a request leaves are JSON, pino\'s shape (a level and a msg), and each names its request',
      points: 1,
      timeout: '60s',
      hints: [
        'Look at one raw line: npx tall logs orders --json -n 5. A structured line is one JSON object with a level and a msg, e.g. {"level":30,"time":…,"reqId":"…","msg":"placing order"}; "tall logs" then shows it readable.',
        'console.log(`${req.method} ${req.url}`) writes plain text. A pino logger (import { pino } from \'pino\'; const logger = pino()) writes JSON to stdout; log through it, or through req.log with pino-http.',
        'Every line written while a request is served must name it: log through the request\'s logger (req.log from pino-http, or a child logger kept per request in an AsyncLocalStorage: log()), never through the service\'s own logger or console.log inside a handler.',
      ],
      async run(ctx) {
        const [product] = shuffle(await products(ctx));
        const id = randomUUID();
        await order(ctx, product!, between(1, 3), id);
        const found = await traceOf(ctx, id, 30_000);
        const problems: string[] = [];
        for (const service of SERVICES) {
          const lines = found.logs.filter((line) => serviceOf(line.source) === service);
          if (lines.length === 0) {
            problems.push(`${service}: no line carries the request's id, so none can be looked at (see request-id-everywhere)`);
            continue;
          }
          const bad = lines.map((line) => ({ line, why: notStructured(line.line) })).find((item) => item.why);
          if (bad) problems.push(`${service}: ${bad.why}: [${bad.line.source}] ${bad.line.line.slice(0, 160)}`);
        }
        if (problems.length) fail(`expected every line a request leaves to be one JSON object with "level" and "msg" (pino's shape):\n${problems.join('\n')}`);
        // Every line of the request carries an id: what an instance wrote while it served its hop (nothing else was sent
        // to it meanwhile) names a request, this one's or — a probe's, say — another's; none is written without one.
        let during = 0;
        for (const hop of found.hops.filter((item) => item.instance && (SERVICES as readonly string[]).includes(item.route))) {
          for (const entry of await linesDuring(ctx, hop)) {
            during++;
            const why = notStructured(entry.line);
            if (why) problems.push(`${hop.route}: ${why}: [${entry.source}] ${entry.line.slice(0, 160)}`);
            else if (idsOf(JSON.parse(entry.line) as Record<string, unknown>).length === 0 && !entry.line.includes(id)) problems.push(`${hop.route}: a line written while ${entry.source} served the request names no request id: ${entry.line.slice(0, 160)}`);
          }
        }
        if (problems.length) fail(`expected every line a service writes while it serves a request to carry the request's id (reqId, requestId or req.id: a child logger per request, req.log):\n${[...new Set(problems)].slice(0, 6).join('\n')}`);
        return `${found.logs.length} lines of request ${id}, all JSON with level and msg; ${during} lines written while it was served, each naming its request`;
      },
    },
    {
      name: 'request-ids-kept-apart',
      title: 'orders placed at the same time keep their own ids: no service mixes them up',
      points: 2,
      timeout: '90s',
      hints: [
        'Send two orders at once, each with an id of its own, and follow both with npx tall logs --request <id>: does each hop of one show the other\'s product?',
        'An id kept in a variable of the module (let currentId) is overwritten by the next request while the first one still awaits the catalog or the payment. Keep it per request: req.id / req.log, or an AsyncLocalStorage (store.run({ id }, next)) that follows each request through its awaits.',
      ],
      async run(ctx) {
        const list = shuffle(await products(ctx)).slice(0, 4);
        const orders = list.map((product) => ({ product, quantity: between(1, 4), id: randomUUID() }));
        // All at once: while one waits for the catalog or the payment, the others arrive.
        await Promise.all(orders.map((item) => order(ctx, item.product, item.quantity, item.id)));
        const others = (id: string) => orders.filter((item) => item.id !== id);
        const problems: string[] = [];
        for (const [i, item] of orders.entries()) {
          // The first may wait for the logs to catch up; by then the others' lines are in too.
          const found = await traceOf(ctx, item.id, i === 0 ? 30_000 : 5_000);
          const { reached, logged } = coverage(found);
          const missing = SERVICES.filter((service) => !reached.has(service) || !logged.has(service));
          if (missing.length) problems.push(`order of ${item.product.id} (${item.id}): not passed on to, or not logged by, ${missing.join(', ')}`);
          const catalogHops = found.hops.filter((hop) => hop.route === 'catalog');
          const wrongHop = catalogHops.find((hop) => hop.path !== `/products/${item.product.id}`);
          if (wrongHop) problems.push(`order of ${item.product.id} (${item.id}): the router saw ${wrongHop.method} /catalog${wrongHop.path} with its id: another order's call carried it`);
          for (const service of ['payment', 'notifier']) {
            const count = found.hops.filter((hop) => hop.route === service).length;
            if (count > 1) problems.push(`order of ${item.product.id} (${item.id}): the router saw ${count} calls to ${service} with its id, for one order: other orders' calls carried it`);
          }
          const mixed = found.logs.find((line) => others(item.id).some((other) => line.line.includes(other.id) || (serviceOf(line.source) === 'catalog' && line.line.includes(`/products/${other.product.id}`))));
          if (mixed) problems.push(`order of ${item.product.id} (${item.id}): a line carrying its id is about another order: [${mixed.source}] ${mixed.line.slice(0, 200)}`);
        }
        if (problems.length) fail(`${orders.length} orders placed at the same time, each with its own x-request-id:\n${problems.slice(0, 6).join('\n')}\nExpected each request's id on its own lines and calls only.`);
        return `${orders.length} concurrent orders, each id on its own path through ${SERVICES.join(', ')}`;
      },
    },
    {
      name: 'red-metrics',
      title: 'each service counts its requests by method, route and status, errors included, and times them in a histogram (/metrics)',
      points: 3,
      timeout: '60s',
      hints: [
        'Look at one: npx tall ps shows each instance\'s address; curl -s http://<address>/metrics. Send a few requests and look again: which numbers moved?',
        'With prom-client: a Counter http_requests_total with labelNames [\'method\', \'route\', \'status\'] and a Histogram http_request_duration_seconds, updated in a middleware on res.on(\'finish\'), and app.get(\'/metrics\') answering await registry.metrics(). Declare metrics_path: /metrics under x-tall in compose.yaml.',
        'The route label is the route as written (req.route.path, e.g. /products/:id), or the path; a request that matched no route (a 404) must still be counted, with its status. Register the middleware before your routes and after /health, /ready and /metrics.',
      ],
      async run(ctx) {
        const paths = metricsPaths(ctx);
        const before = new Map<string, Map<string, Family[]>>();
        for (const service of SERVICES) before.set(service, await readMetrics(ctx, service, paths.get(service)!));
        // A number of orders nobody can guess, and errors: requests to paths no service has (404).
        const list = await products(ctx);
        const orders = between(2, 5);
        const ordered = new Set<string>();
        const notifiedBefore = await routerCount(ctx, 'notifier', 201);
        for (let i = 0; i < orders; i++) {
          const product = list[between(0, list.length - 1)]!;
          ordered.add(product.id);
          await order(ctx, product, between(1, 3));
        }
        // The notifier's POST /notifications as the router counted them: one per order while orders calls it; none from
        // lab 10 on, when the order reaches the notifier as a message through the broker.
        const notified = (await routerCount(ctx, 'notifier', 201)) - notifiedBefore;
        // Each error counted with the status it was answered with (404; payment asks for its key first: 401). POSTs: the
        // platform's own requests to an instance (probes, scrapes, the GET / when a healthcheck times out on a busy
        // machine) are GETs, so they never add to these.
        const errors = new Map<Service, Map<number, number>>();
        for (const service of SERVICES) {
          const statuses = new Map<number, number>();
          errors.set(service, statuses);
          for (let i = between(1, 3); i > 0; i--) {
            const path = `/${service}/${randomBytes(5).toString('hex')}`;
            const answer = await ctx.http.post(path, {});
            if (answer.status < 400 || answer.status >= 500) fail(`POST ${path} (a path ${service} does not have) answered ${describe(answer)}; expected an error, 404`);
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          }
        }
        const results = [];
        for (const service of SERVICES) {
          const after = await readMetrics(ctx, service, paths.get(service)!);
          const hop = HOPS[service];
          const sent: Sent[] = [
            // the catalog sees each ordered product's own path: one series per route (/products/:id), or per path, summed
            { service, method: hop.method, paths: [...new Set([...ordered].map(hop.path))], status: hop.status, count: service === 'notifier' ? notified : orders },
            ...[...errors.get(service)!].map(([status, count]) => ({ service, method: 'POST', paths: [], status, count, anyRoute: true })),
          ];
          results.push(judge(service, before.get(service)!, after, sent));
        }
        const failed = results.filter((result) => !result.ok);
        if (failed.length) fail(`after ${orders} orders through web and a few requests to unknown paths (an error: 404, or 401 from payment) on each service:\n${failed.map((result) => result.saw).join('\n')}\nExpected each service's own /metrics (summed over its instances) to count exactly those requests, by method, route and status, and a histogram of their durations.`);
        return results.map((result) => result.saw).join('; ');
      },
    },
    {
      name: 'platform-scrapes-metrics',
      title: 'the platform scrapes every instance\'s metrics (x-tall.metrics_path): its /metrics shows them per instance',
      points: 1,
      timeout: '60s',
      hints: [
        'npx tall ps shows the platform\'s metrics URL; curl it and look for tall_instance_scrape_up and your own metric names with an instance label. npx tall events says metrics-failing when a scrape fails.',
        'Under each service\'s x-tall (or in the shared x-tall anchor) in compose.yaml: metrics_path: /metrics — the path your services serve their metrics on. Restart (npx tall down && npx tall up) after changing it.',
      ],
      async run(ctx) {
        const paths = metricsPaths(ctx);
        const ps = await ctx.tallJson<{ metricsUrl?: string }>(['ps']);
        if (!ps.metricsUrl) fail('"tall ps --json" shows no metricsUrl: the platform serves no metrics');
        // Some traffic first, so that every instance has counted requests of its own (web has two: two orders).
        const list = await products(ctx);
        const instances = (await ctx.instances()).filter((instance) => instance.state === 'running' && (SERVICES as readonly string[]).includes(instance.service));
        const most = Math.max(...SERVICES.map((service) => instances.filter((instance) => instance.service === service).length));
        for (let i = 0; i < most; i++) await order(ctx, list[between(0, list.length - 1)]!, 1);
        // And a request of its own to each instance (a path it does not have: a 404 it counts), for the instances no order
        // reaches over HTTP — from lab 10 on, the notifier gets its orders as messages through the broker.
        for (const instance of instances) await ctx.http.get(`http://${instance.address}/${randomBytes(5).toString('hex')}`);
        let last = '';
        const agree = async () => {
          const page = await ctx.http.get(ps.metricsUrl!);
          const families = parsePrometheus(page.text);
          const problems: string[] = [];
          const own = new Map<string, Family[]>();
          for (const service of SERVICES) for (const [id, page] of await readMetrics(ctx, service, paths.get(service)!)) own.set(id, page);
          for (const instance of instances) {
            const up = families.find((family) => family.name === 'tall_instance_scrape_up')?.samples.find((sample) => sample.labels.instance === instance.id)?.value;
            if (up !== 1) {
              problems.push(`${instance.id}: tall_instance_scrape_up ${up ?? '(none)'}`);
              continue;
            }
            // Its request counts as the instance serves them now, and as the platform last scraped them (nothing else is
            // sent meanwhile; the platform's probes and scrapes are left out, by route, in case a service counts them).
            const mine = (own.get(instance.id) ?? []).filter((family) => !family.name.startsWith('tall_') && ['counter', 'histogram', 'untyped'].includes(family.type) && labelName(family, STATUS_LABELS) && labelName(family, ROUTE_LABELS));
            const sum = (family: Family | undefined, instanceLabel?: string) => (family?.samples ?? []).filter((sample) => sample.name === countSeries(family!) && !PLATFORM_ROUTES.test(labelOf(sample, ROUTE_LABELS) ?? '') && (instanceLabel === undefined || sample.labels.instance === instanceLabel)).reduce((total, sample) => total + sample.value, 0);
            const counted = mine.filter((family) => sum(family) > 0);
            if (counted.length === 0) {
              problems.push(`${instance.id}: its own metrics count no request by route and status`);
              continue;
            }
            const differ = counted.filter((family) => sum(families.find((candidate) => candidate.name === family.name), instance.id) !== sum(family));
            if (differ.length) problems.push(`${instance.id}: ${differ.map((family) => `${family.name} is ${sum(family)} on the instance, ${sum(families.find((candidate) => candidate.name === family.name), instance.id)} on the platform with instance="${instance.id}"`).join(', ')}`);
          }
          last = problems.join('; ');
          if (problems.length) await ctx.sleep(1000);
          return problems.length === 0;
        };
        await ctx.waitFor('the platform\'s /metrics to show every instance scraped, with its own figures', agree, 40_000).catch(() => fail(`the platform's /metrics (${ps.metricsUrl}) does not show every instance's own metrics: ${last}. Expected x-tall.metrics_path on every service and the platform scraping it every 5 s (npx tall events says metrics-failing when it cannot).`));
        return `${instances.length} instances scraped: ${instances.map((instance) => instance.id).join(', ')}`;
      },
    },
  ],
});
