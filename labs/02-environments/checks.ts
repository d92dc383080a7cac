// Lab 02 · Environment provisioning — the checks. They run against a throwaway copy of your services/.
//
// What they can't be fooled by: every run makes up its own environment value and payment keys, starts staging with
// them (as "SHOP_ENV=… PAYMENT_API_KEY=… npx tall up --env staging" would: a variable set in the shell wins over the
// env file), and wants exactly those back. The deployments that leave a setting out get neutral random names, and only
// the setting the check removes is missing: nothing tells a service which check it is in.
import { randomBytes } from 'node:crypto';
import { parseEnv } from 'node:util';
import { brief, defineChecks, describeAnswer as describe, fail, forEach, type CheckContext, type ComposeDocument, type EnvironmentHandle, type EnvironmentRequest, type HttpAnswer } from '../../platform/src/labs/check-api.js';

const SERVICES = ['catalog', 'payment', 'orders', 'notifier', 'web'];
const ADDRESSES = ['CATALOG_URL', 'PAYMENT_URL', 'NOTIFIER_URL'];

const random = (bytes: number) => randomBytes(bytes).toString('hex');
/** staging's environment value this run: no service can know it unless it reads its configuration */
const STAGING_ENV = `staging-${random(3)}`;
/** staging's payment key this run, and a key no environment has */
const STAGING_KEY = `sk-${random(12)}`;
const STRANGER_KEY = `sk-${random(12)}`;
/** the environment value of the deployments that leave a setting out */
const OTHER_ENV = `env-${random(3)}`;

/** 401 (no or wrong credentials) and 403 (not allowed) both refuse. */
const refused = (answer: HttpAnswer) => answer.status === 401 || answer.status === 403;

/** A service's environment as a mapping (Compose's list form, NAME=value or a bare NAME, is converted). */
function environmentOf(document: ComposeDocument, service: string): Record<string, string | number | boolean | null> | undefined {
  const spec = document.services[service];
  if (!spec) return undefined;
  if (Array.isArray(spec.environment)) {
    spec.environment = Object.fromEntries(spec.environment.map((item) => {
      const text = String(item);
      const equals = text.indexOf('=');
      return equals === -1 ? [text, null] : [text.slice(0, equals), text.slice(equals + 1)];
    }));
  }
  return spec.environment ?? undefined;
}

/** A deployment of one service with one or more of its settings left out of compose.yaml; it must refuse to start. */
function without(service: string, names: string[]): EnvironmentRequest {
  return {
    only: [service],
    variables: { SHOP_ENV: OTHER_ENV, PAYMENT_API_KEY: `sk-${random(12)}` },
    expectStartFailure: true,
    compose(document) {
      const environment = environmentOf(document, service);
      for (const name of names) if (environment) delete environment[name];
    },
  };
}

/**
 * A deployment of one service in an environment that has no PAYMENT_API_KEY at all: compose.yaml as you wrote it, no env
 * file, only the variables the check gives. It must refuse to start: ${PAYMENT_API_KEY:?…} stops it, a pass-through
 * entry leaves the variable unset and the service exits; a default (in compose.yaml or in the code) lets it start.
 */
function withoutKey(service: string): EnvironmentRequest {
  return { only: [service], variables: { SHOP_ENV: OTHER_ENV }, expectStartFailure: true };
}

/**
 * The start of an environment whose service is missing configuration: it must refuse, naming what is missing.
 * Returns a problem, or undefined when it behaved.
 */
async function refusedToStart(env: EnvironmentHandle, service: string, variables: string[], started: string, note: (line: string) => void): Promise<string | undefined> {
  const missing = variables.join(', ');
  if (env.started) return `${service} started without ${missing}, so it has a value built in (in compose.yaml or in its code): ${started} Expected: it refuses to start and says which setting is missing.`;
  // What it said: the start failure (the platform's own message for ${VAR:?…}, or the service's last lines), else
  // everything the environment logged for that service.
  let said = `${env.failure?.reason ?? ''}\n${env.failure?.logTail.join('\n') ?? ''}`;
  if (!variables.some((name) => said.includes(name))) said += `\n${(await env.logs(service, 40)).join('\n')}`;
  if (variables.some((name) => said.includes(name))) return undefined;
  const output = said.split('\n').filter((line) => line.trim() && !line.startsWith(env.failure?.reason ?? '\u0000'));
  if (output.length === 0) {
    // The platform caught none of the service's output (a container that exits at once can beat its log follower).
    note(`${service} without ${missing} refused to start; the platform captured none of its output, so the message could not be read`);
    return undefined;
  }
  return `without ${missing}, ${service} did not start — good — but what it said does not name the missing setting. It said: ${brief(said, 300)}`;
}

function startedStaging(ctx: CheckContext): EnvironmentHandle {
  const staging = ctx.environment('staging');
  if (!staging.started) fail('staging did not start (see "staging starts from the same compose.yaml beside the default environment")');
  return staging;
}

/** A payment request only this run can make: a new order id, an amount no code expects. */
const charge = () => ({ orderId: `order-${random(4)}`, amountCents: 100 + Math.floor(Math.random() * 9000) });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The variables of services/environments/<name>.env, or undefined when the file does not exist. */
function envFile(ctx: CheckContext, name: string): Record<string, string> | undefined {
  const text = ctx.readFile(`environments/${name}.env`);
  return text === undefined ? undefined : (parseEnv(text) as Record<string, string>);
}

/** The key the default environment's payment gets (compose.yaml with default.env), as the platform reads it. */
function defaultKey(ctx: CheckContext): string | undefined {
  return ctx.compose().find((service) => service.name === 'payment')?.environment.PAYMENT_API_KEY;
}

/**
 * How compose.yaml gives a service PAYMENT_API_KEY: undefined when it takes it from the environment's variables —
 * ${PAYMENT_API_KEY:?…}, ${PAYMENT_API_KEY}, or a pass-through entry (no value) — else what is wrong.
 */
function keyEntryProblem(document: ComposeDocument, service: string): string | undefined {
  const environment = environmentOf(document, service);
  if (!environment || !('PAYMENT_API_KEY' in environment)) return `compose.yaml gives ${service} no PAYMENT_API_KEY`;
  const value = environment.PAYMENT_API_KEY;
  if (value === null || value === undefined) return undefined;
  const text = String(value);
  if (!/\$\{?[A-Za-z_]/.test(text.replace(/\$\$/g, ''))) {
    return `compose.yaml writes PAYMENT_API_KEY for ${service} as a value (${brief(text, 12)}…): a secret in the repository, the same in every environment. Write \${PAYMENT_API_KEY:?…} and put the value in each environment's file`;
  }
  const fallback = /\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]+)\}/.exec(text);
  if (fallback) {
    return `compose.yaml gives PAYMENT_API_KEY a default for ${service} (${brief(text, 40)}): a key in the repository, used by any environment that forgets its own. Write \${PAYMENT_API_KEY:?…} (or just "PAYMENT_API_KEY:" to pass it through), without a default`;
  }
  return undefined;
}

export default defineChecks({
  environments: {
    // staging, as you would start it — "tall up --env staging" reads services/environments/staging.env — with this run's
    // environment value and payment key set as if in the shell (they win over the file)
    staging: { name: 'staging', variables: { SHOP_ENV: STAGING_ENV, PAYMENT_API_KEY: STAGING_KEY } },
    // one service each, one setting left out
    'web-without-catalog-url': without('web', ['CATALOG_URL']),
    'orders-without-catalog-url': without('orders', ['CATALOG_URL']),
    'orders-without-payment-url': without('orders', ['PAYMENT_URL']),
    'orders-without-notifier-url': without('orders', ['NOTIFIER_URL']),
    // one service each, in an environment that has no payment key
    'payment-without-key': withoutKey('payment'),
    'orders-without-key': withoutKey('orders'),
  },
  checks: [
    {
      name: 'staging-config-file',
      title: 'services/environments/staging.env holds staging\'s configuration, and compose.yaml uses it',
      points: 1,
      timeout: '10s',
      hints: [
        '"tall up --env staging" reads services/environments/staging.env and uses its variables in compose.yaml, like "docker compose --env-file". Create the file.',
        'Each line is NAME=value. Put what differs in staging there — SHOP_ENV=staging, its own PAYMENT_API_KEY — and use the names in compose.yaml, e.g. SHOP_ENV: ${SHOP_ENV:-development}.',
      ],
      async run(ctx) {
        const staging = envFile(ctx, 'staging');
        if (staging === undefined) fail('services/environments/staging.env does not exist: staging has no configuration of its own');
        const variables = Object.keys(staging);
        if (variables.length === 0) fail('services/environments/staging.env sets no variables (lines like SHOP_ENV=staging)');
        const compose = ctx.readFile('compose.yaml') ?? '';
        const used = variables.filter((name) => new RegExp(`\\$\\{?${name}\\b|^\\s*-?\\s*${name}\\s*:?\\s*(#.*)?$`, 'm').test(compose));
        if (used.length === 0) fail(`staging.env sets ${variables.join(', ')}, but compose.yaml uses none of them (as \${NAME}), so staging would run exactly like the default environment`);
        if (!staging.SHOP_ENV) fail(`staging.env sets ${variables.join(', ')} but not SHOP_ENV: set SHOP_ENV=staging, so staging's services say where they run`);
        const defaults = envFile(ctx, 'default') ?? {};
        if (defaults.SHOP_ENV === staging.SHOP_ENV) fail(`staging.env and default.env both set SHOP_ENV=${staging.SHOP_ENV}: each environment needs its own`);
        return `staging.env sets ${variables.join(', ')}; compose.yaml uses ${used.join(', ')}`;
      },
    },
    {
      name: 'staging-beside-default',
      title: 'staging starts from the same compose.yaml beside the default environment, isolated from it',
      points: 2,
      timeout: '20s',
      hints: [
        'Try it: "npx tall up" and then "npx tall up --env staging". "npx tall ps --env staging" shows its own instances and router.',
        'If staging does not start, "npx tall up --env staging" shows the error and the service\'s last log lines.',
      ],
      async run(ctx) {
        const staging = ctx.environment('staging');
        if (!staging.started) {
          fail(`"SHOP_ENV=${STAGING_ENV} PAYMENT_API_KEY=${STAGING_KEY} tall up --env staging" failed: ${staging.failure?.reason ?? '?'}${staging.failure?.logTail.length ? `\n${staging.failure.logTail.slice(-8).map((line) => `  | ${line}`).join('\n')}` : ''}`);
        }
        if (staging.routerUrl === ctx.routerUrl) fail(`staging and default share a router (${ctx.routerUrl})`);
        const page = await staging.http.get('/web/');
        if (page.status !== 200) fail(`staging's storefront (GET /web/) answered ${describe(page)}; expected 200`);
        const ids = (instances: { pid?: number; containerId?: string }[]) => instances.map((instance) => String(instance.containerId ?? instance.pid));
        const mine = new Set(ids(await ctx.instances()));
        const shared = ids(await staging.instances()).filter((id) => mine.has(id));
        if (shared.length) fail(`staging and default share instances (${shared.join(', ')}); each environment must run its own`);
        return `default at ${ctx.routerUrl}, staging at ${staging.routerUrl}`;
      },
    },
    {
      name: 'config-per-environment',
      title: 'every service says which environment it runs in — /info\'s "environment" is its SHOP_ENV — and staging\'s storefront shows it',
      points: 2,
      timeout: '20s',
      hints: [
        'Give every service a setting for its environment — SHOP_ENV — in compose.yaml (${SHOP_ENV:-development}), and set SHOP_ENV=staging in staging.env.',
        'Add it to /info: {"service": "catalog", "version": "…", "environment": process.env.SHOP_ENV}. On the storefront, show it so nobody mistakes staging for the real shop. The check starts staging with a SHOP_ENV of its own making (as "SHOP_ENV=staging-1a2b3c npx tall up --env staging" would) and wants that value back: read it, don\'t write "staging" into the code.',
      ],
      async run(ctx) {
        const staging = startedStaging(ctx);
        const composed = new Map(ctx.compose().map((service) => [service.name, service.environment.SHOP_ENV]));
        await forEach(SERVICES, async (service) => {
          const [mine, theirs] = [await ctx.http.get(`/${service}/info`), await staging.http.get(`/${service}/info`)];
          const inStaging = (theirs.json as { environment?: unknown } | undefined)?.environment;
          const inDefault = (mine.json as { environment?: unknown } | undefined)?.environment;
          if (inStaging !== STAGING_ENV) {
            const said = theirs.status === 200 && theirs.json !== undefined ? `says "environment": ${JSON.stringify(inStaging)}` : `answered ${describe(theirs)}`;
            return `staging was started with SHOP_ENV=${STAGING_ENV}, but GET /${service}/info there ${said}; expected "environment": "${STAGING_ENV}" — read it from process.env.SHOP_ENV`;
          }
          const expected = composed.get(service);
          if (typeof inDefault !== 'string' || !inDefault || inDefault === STAGING_ENV || (expected !== undefined && inDefault !== expected)) {
            return `GET /${service}/info in the default environment says "environment": ${JSON.stringify(inDefault)}; expected its own environment (${expected === undefined ? 'e.g. "development"' : `"${expected}", its SHOP_ENV`}), not staging's`;
          }
          return undefined;
        });
        const page = await staging.http.get('/web/');
        if (page.status !== 200) fail(`staging's storefront (GET /web/) answered ${describe(page)}; expected 200`);
        if (!page.text.replace(/<[^>]*>/g, ' ').includes(STAGING_ENV)) {
          fail(`staging was started with SHOP_ENV=${STAGING_ENV}, but its storefront does not show "${STAGING_ENV}" anywhere on the page: show the environment, so nobody takes staging for the real shop`);
        }
        return `staging's services and storefront say "${STAGING_ENV}"`;
      },
    },
    {
      name: 'payment-needs-a-key',
      title: 'payment takes payments with its environment\'s API key and refuses every other; orders sends it',
      points: 2,
      timeout: '30s',
      hints: [
        'A real payment provider wants an API key with every call. Make payment refuse (401) a payment unless the request has "Authorization: Bearer <PAYMENT_API_KEY>", and have orders send it.',
        'Both read the key from process.env.PAYMENT_API_KEY. In compose.yaml give payment and orders PAYMENT_API_KEY: ${PAYMENT_API_KEY:?…}; put the value in services/environments/default.env and staging.env — a different one in each. The check starts staging with a key of its own making and sends it: a key written into the code fails.',
      ],
      async run(ctx) {
        const staging = startedStaging(ctx);
        const trying = `(staging was started with PAYMENT_API_KEY=${STAGING_KEY})`;
        const anonymous = await staging.http.post('/payment/payments', charge());
        if (!refused(anonymous)) fail(`in staging, POST /payment/payments without an API key answered ${describe(anonymous)}; expected 401 — anyone could charge customers`);
        const wrong = await staging.http.post('/payment/payments', charge(), { headers: bearer(STRANGER_KEY) });
        if (!refused(wrong)) fail(`in staging, POST /payment/payments with a key no environment has ("Bearer ${STRANGER_KEY}") answered ${describe(wrong)}; expected 401`);
        const theirs = defaultKey(ctx);
        if (theirs && theirs !== STAGING_KEY) {
          const crossed = await staging.http.post('/payment/payments', charge(), { headers: bearer(theirs) });
          if (!refused(crossed)) fail(`in staging, POST /payment/payments with the default environment's key answered ${describe(crossed)}; expected 401 — staging must take only its own key (is a key written into the code?)`);
        }
        const right = await staging.http.post('/payment/payments', charge(), { headers: bearer(STAGING_KEY) });
        if (right.status !== 201) fail(`in staging, POST /payment/payments with staging's own key ("Bearer ${STAGING_KEY}") answered ${describe(right)}; expected 201 ${trying}: payment must check the key its environment gives it (process.env.PAYMENT_API_KEY), not one written into the code`);
        const order = await staging.http.post('/orders/orders', { productId: 'tall-mug', quantity: 1 + Math.floor(Math.random() * 3) }, { timeoutMs: 15_000 });
        if (order.status !== 201) fail(`in staging, POST /orders/orders answered ${describe(order)}; expected 201 ${trying} — orders must send payment its environment's key (process.env.PAYMENT_API_KEY)`);
        return 'staging\'s payment refused no key, a stranger\'s and default\'s, took its own; staging\'s orders paid with it';
      },
    },
    {
      name: 'keys-per-environment',
      title: 'each environment has its own payment key, from its env file — not from compose.yaml or the code',
      points: 2,
      timeout: '30s',
      hints: [
        'In compose.yaml, write only the key\'s name: PAYMENT_API_KEY: ${PAYMENT_API_KEY:?set it in services/environments/<env>.env}. The values go in default.env and staging.env.',
        'Staging\'s key must not work in the default environment (and the other way round): use a different value in each file.',
      ],
      async run(ctx) {
        startedStaging(ctx);
        const document = ctx.composeDocument();
        const problems = ['payment', 'orders'].map((service) => keyEntryProblem(document, service)).filter(Boolean);
        if (problems.length) fail(problems.join('\n'));
        const mine = defaultKey(ctx);
        if (!mine) fail('in the default environment payment gets no PAYMENT_API_KEY: put one in services/environments/default.env');
        const fromFile = envFile(ctx, 'staging')?.PAYMENT_API_KEY;
        if (!fromFile) fail('services/environments/staging.env sets no PAYMENT_API_KEY: staging needs a key of its own');
        if (fromFile === mine) fail('default.env and staging.env have the same PAYMENT_API_KEY: each environment needs its own (a staging key must not be able to charge real customers)');
        const accepted = await ctx.http.post('/payment/payments', charge(), { headers: bearer(mine) });
        if (accepted.status !== 201) fail(`the default environment's payment answered ${describe(accepted)} to its own key (PAYMENT_API_KEY from default.env); expected 201`);
        for (const [whose, key] of [['staging.env\'s key', fromFile], [`the key staging was started with (${STAGING_KEY})`, STAGING_KEY]] as const) {
          const crossed = await ctx.http.post('/payment/payments', charge(), { headers: bearer(key) });
          if (!refused(crossed)) fail(`the default environment's payment accepted ${whose} (${describe(crossed)}); expected 401`);
        }
        const order = await ctx.http.post('/orders/orders', { productId: 'pager-duck', quantity: 1 }, { timeoutMs: 15_000 });
        if (order.status !== 201) fail(`in the default environment, POST /orders/orders answered ${describe(order)}; expected 201 — orders must send its environment's key`);
        return 'compose.yaml names the key; default\'s payment takes default.env\'s key and refuses staging\'s';
      },
    },
    {
      name: 'no-hard-coded-addresses',
      title: 'a service missing the address of another refuses to start instead of using one built into its code',
      points: 2,
      timeout: '40s',
      hints: [
        'Look at how web and orders find the catalog: process.env.CATALOG_URL ?? \'http://127.0.0.1:8080/catalog\'. Started in staging without CATALOG_URL, web would quietly call the default environment\'s catalog.',
        'Remove the fallbacks — CATALOG_URL in web and orders, PAYMENT_URL and NOTIFIER_URL in orders. Read each setting, and if it is missing, log which one and exit: if (!process.env.CATALOG_URL) { console.error(\'CATALOG_URL is not set\'); process.exit(1); }',
      ],
      async run(ctx) {
        const cases: [string, string, string, string][] = [
          ['web-without-catalog-url', 'web', 'CATALOG_URL', 'in staging that would be the default environment\'s catalog, and staging\'s storefront would show another environment\'s data.'],
          ['orders-without-catalog-url', 'orders', 'CATALOG_URL', 'in staging it would price orders from another environment\'s catalog.'],
          ['orders-without-payment-url', 'orders', 'PAYMENT_URL', 'orders placed in staging could charge payments in another environment.'],
          ['orders-without-notifier-url', 'orders', 'NOTIFIER_URL', 'staging could notify the customers of another environment.'],
        ];
        const problems: string[] = [];
        for (const [env, service, name, consequence] of cases) {
          // An address the service is not given at all is one it no longer needs (from lab 10 on, orders does not call
          // the notifier: the notification goes through the broker).
          if (!(name in (ctx.compose().find((candidate) => candidate.name === service)?.environment ?? {}))) {
            ctx.note(`compose.yaml gives ${service} no ${name}: not needed, not checked`);
            continue;
          }
          const problem = await refusedToStart(ctx.environment(env), service, [name], consequence, ctx.note);
          if (problem) problems.push(problem);
        }
        if (problems.length) fail(problems.join('\n'));
        return 'web without CATALOG_URL, orders without CATALOG_URL, PAYMENT_URL or NOTIFIER_URL: each refused to start, naming it';
      },
    },
    {
      name: 'no-secret-in-code',
      title: 'in an environment without a payment key, payment and orders refuse to start (no key built into compose.yaml or the code)',
      points: 1,
      timeout: '30s',
      hints: [
        'Start payment in an environment whose file has no PAYMENT_API_KEY and see what it does. If it starts, it has a key from somewhere: a default in compose.yaml (${PAYMENT_API_KEY:-…}) or in its code.',
        'In compose.yaml write ${PAYMENT_API_KEY:?…} (the platform then refuses to start it and names the variable), and in the code read process.env.PAYMENT_API_KEY; if it is missing or empty, log "PAYMENT_API_KEY is not set" and exit(1). Never write a default key — in payment or in orders.',
      ],
      async run(ctx) {
        const consequence = 'a default key is a secret in the repository, the same in every environment that forgets its own.';
        const problems = [
          await refusedToStart(ctx.environment('payment-without-key'), 'payment', ['PAYMENT_API_KEY'], consequence, ctx.note),
          await refusedToStart(ctx.environment('orders-without-key'), 'orders', ['PAYMENT_API_KEY'], consequence, ctx.note),
        ].filter(Boolean);
        if (problems.length) fail(problems.join('\n'));
        return 'without PAYMENT_API_KEY, payment and orders refused to start, naming it';
      },
    },
  ],
});
