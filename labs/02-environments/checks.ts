// Lab 02 · Environment provisioning — the checks. They run against a throwaway copy of your services/.
import { parseEnv } from 'node:util';
import { brief, defineChecks, describeAnswer as describe, fail, forEach, type ComposeDocument, type EnvironmentHandle } from '../../platform/src/labs/check-api.js';

const SERVICES = ['catalog', 'payment', 'orders', 'notifier', 'web'];
const ADDRESSES = ['CATALOG_URL', 'PAYMENT_URL', 'NOTIFIER_URL'];

/** Removes variables from a service's environment in a compose variant. */
function unset(document: ComposeDocument, service: string, names: string[]): void {
  const environment = document.services[service]?.environment;
  if (!environment) return;
  if (Array.isArray(environment)) {
    document.services[service]!.environment = environment.filter((item) => !names.includes(String(item).split('=')[0]!));
  } else {
    for (const name of names) delete environment[name];
  }
}

/**
 * The start of an environment whose service is missing configuration: it must refuse, naming what is missing.
 * Returns a problem, or undefined when it behaved.
 */
async function refusedToStart(env: EnvironmentHandle, service: string, variables: string[], consequence: string, note: (line: string) => void): Promise<string | undefined> {
  if (env.started) {
    return `${service} started without ${variables.join(', ')} in its environment, so it must have a value built into its code. ${consequence} Expected: it refuses to start and says which variable is missing.`;
  }
  // What it said: the start failure's log lines, else everything the environment logged for that service.
  let said = `${env.failure?.reason ?? ''}\n${env.failure?.logTail.join('\n') ?? ''}`;
  if (!variables.some((name) => said.includes(name))) said += `\n${(await env.logs(service, 40)).join('\n')}`;
  if (variables.some((name) => said.includes(name))) return undefined;
  const output = said.split('\n').filter((line) => line.trim() && !line.startsWith(env.failure?.reason ?? '\u0000'));
  if (output.length === 0) {
    // The platform caught none of the service's output (a container that exits at once can beat its log follower).
    note(`${service} refused to start; the platform captured none of its output, so the message could not be read`);
    return undefined;
  }
  return `without ${variables.join(', ')}, ${service} did not start — good — but its output does not say which setting is missing. It said: ${brief(said, 300)}`;
}

async function paymentKeyOf(env: EnvironmentHandle): Promise<string | undefined> {
  return env.compose().find((service) => service.name === 'payment')?.environment.PAYMENT_API_KEY;
}

export default defineChecks({
  environments: {
    // staging, exactly as you would start it: "tall up --env staging" reads services/environments/staging.env
    staging: { name: 'staging' },
    // the same configuration as the default environment, minus one setting each
    'no-catalog-url': { config: 'default', only: ['web'], compose: (document) => unset(document, 'web', ['CATALOG_URL']) },
    'no-addresses': { config: 'default', only: ['orders'], compose: (document) => unset(document, 'orders', ADDRESSES) },
    'no-payment-key': { config: 'default', only: ['payment'], compose: (document) => unset(document, 'payment', ['PAYMENT_API_KEY']) },
  },
  checks: [
    {
      name: 'staging-config-file',
      title: 'services/environments/staging.env holds staging\'s configuration, and compose.yaml uses it',
      points: 1,
      timeout: '5s',
      hints: [
        '"tall up --env staging" reads services/environments/staging.env and uses its variables in compose.yaml, like "docker compose --env-file". Create the file.',
        'Each line is NAME=value. Put what differs in staging there (SHOP_ENV=staging, its own PAYMENT_API_KEY, …) and use the names in compose.yaml as ${SHOP_ENV:-development}.',
      ],
      async run(ctx) {
        const text = ctx.readFile('environments/staging.env');
        if (text === undefined) fail('services/environments/staging.env does not exist: staging has no configuration of its own');
        const variables = Object.keys(parseEnv(text));
        if (variables.length === 0) fail('services/environments/staging.env sets no variables (lines like SHOP_ENV=staging)');
        const compose = ctx.readFile('compose.yaml') ?? '';
        const used = variables.filter((name) => new RegExp(`\\$\\{?${name}\\b`).test(compose));
        if (used.length === 0) fail(`staging.env sets ${variables.join(', ')}, but compose.yaml uses none of them (as \${NAME}), so staging would run exactly like the default environment`);
        return `staging.env sets ${variables.join(', ')}; compose.yaml uses ${used.join(', ')}`;
      },
    },
    {
      name: 'staging-beside-default',
      title: 'staging starts from the same compose.yaml beside the default environment, isolated from it',
      points: 2,
      timeout: '10s',
      hints: [
        'Try it: "npx tall up" and then "npx tall up --env staging". "npx tall ps --env staging" shows its own instances and router.',
        'If staging does not start, "npx tall up --env staging" shows the error and the service\'s last log lines.',
      ],
      async run(ctx) {
        const staging = ctx.environment('staging');
        if (!staging.started) {
          fail(`"tall up --env staging" failed: ${staging.failure?.reason ?? '?'}${staging.failure?.logTail.length ? `\n${staging.failure.logTail.slice(-8).map((line) => `  | ${line}`).join('\n')}` : ''}`);
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
      title: 'every service knows which environment it runs in: /info says "staging" in staging, and the storefront shows it',
      points: 2,
      timeout: '10s',
      hints: [
        'Give every service a setting for its environment — SHOP_ENV — in compose.yaml (${SHOP_ENV:-development}), and set SHOP_ENV=staging in staging.env.',
        'Add it to /info: {"service": "catalog", "version": "…", "environment": process.env.SHOP_ENV}. On the storefront, show it so nobody mistakes staging for the real shop.',
      ],
      async run(ctx) {
        const staging = ctx.environment('staging');
        if (!staging.started) fail('staging did not start (see "staging starts beside the default environment")');
        await forEach(SERVICES, async (service) => {
          const [mine, theirs] = [await ctx.http.get(`/${service}/info`), await staging.http.get(`/${service}/info`)];
          const inStaging = (theirs.json as { environment?: unknown } | undefined)?.environment;
          const inDefault = (mine.json as { environment?: unknown } | undefined)?.environment;
          if (inStaging !== 'staging') return `GET /${service}/info in staging answered ${describe(theirs)}; expected "environment": "staging"`;
          if (inDefault === undefined || inDefault === 'staging') return `GET /${service}/info in the default environment says "environment": ${JSON.stringify(inDefault)}; expected its own environment (e.g. "development"), not staging's`;
          return undefined;
        });
        const page = await staging.http.get('/web/');
        if (!/staging/i.test(page.text.replace(/<[^>]*>/g, ' '))) fail('the storefront in staging does not say "staging" anywhere on the page: show the environment, so nobody takes staging for the real shop');
      },
    },
    {
      name: 'payment-needs-a-key',
      title: 'payment only takes payments with the environment\'s API key; orders sends it',
      points: 2,
      timeout: '15s',
      hints: [
        'A real payment provider wants an API key with every call. Make payment answer 401 unless the request has "Authorization: Bearer <PAYMENT_API_KEY>", and have orders send it.',
        'Both read the key from process.env.PAYMENT_API_KEY. In compose.yaml give payment and orders PAYMENT_API_KEY: ${PAYMENT_API_KEY:?…}; put the value in services/environments/default.env and staging.env — a different one in each.',
      ],
      async run(ctx) {
        const staging = ctx.environment('staging');
        if (!staging.started) fail('staging did not start (see "staging starts beside the default environment")');
        const payment = { orderId: `check-${Date.now()}`, amountCents: 500 };
        const anonymous = await staging.http.post('/payment/payments', payment);
        if (anonymous.status !== 401) fail(`in staging, POST /payment/payments without an API key answered ${describe(anonymous)}; expected 401 — anyone could charge customers`);
        const wrong = await staging.http.post('/payment/payments', payment, { headers: { authorization: 'Bearer not-the-key' } });
        if (wrong.status !== 401) fail(`in staging, POST /payment/payments with a wrong key ("Bearer not-the-key") answered ${describe(wrong)}; expected 401`);
        const order = await staging.http.post('/orders/orders', { productId: 'tall-mug', quantity: 1 }, { timeoutMs: 10_000 });
        if (order.status !== 201) fail(`in staging, POST /orders/orders answered ${describe(order)}; expected 201 — orders must send payment the key`);
      },
    },
    {
      name: 'keys-per-environment',
      title: 'each environment has its own payment key, kept out of compose.yaml and the code',
      points: 2,
      timeout: '10s',
      hints: [
        'In compose.yaml, write only the key\'s name: PAYMENT_API_KEY: ${PAYMENT_API_KEY:?set it in services/environments/<env>.env}. The values go in default.env and staging.env.',
        'Staging\'s key must not work in the default environment (and the other way round): use a different value in each file.',
      ],
      async run(ctx) {
        const staging = ctx.environment('staging');
        if (!staging.started) fail('staging did not start (see "staging starts beside the default environment")');
        for (const service of ['payment', 'orders']) {
          const raw = ctx.composeDocument().services[service]?.environment;
          const value = Array.isArray(raw) ? raw.find((item) => String(item).startsWith('PAYMENT_API_KEY='))?.toString().slice(16) : raw?.PAYMENT_API_KEY;
          if (value === undefined || value === null) fail(`compose.yaml gives ${service} no PAYMENT_API_KEY`);
          if (!String(value).includes('${')) fail(`compose.yaml writes ${service}'s PAYMENT_API_KEY as a value (${brief(String(value), 12)}…): a secret in the repository, and the same in every environment. Write \${PAYMENT_API_KEY:?…} and put the value in each environment's file`);
        }
        const [mine, theirs] = [await paymentKeyOf(ctx), await paymentKeyOf(staging)];
        if (!mine || !theirs) fail('payment has no PAYMENT_API_KEY in one of the environments');
        if (mine === theirs) fail('default and staging use the same payment key: each environment needs its own (a staging key must not be able to charge real customers)');
        const crossed = await ctx.http.post('/payment/payments', { orderId: `check-${Date.now()}`, amountCents: 500 }, { headers: { authorization: `Bearer ${theirs}` } });
        if (crossed.status !== 401) fail(`staging's key was accepted by the default environment's payment (${describe(crossed)}); expected 401`);
      },
    },
    {
      name: 'no-hard-coded-addresses',
      title: 'a service missing the address of another refuses to start instead of using one built into its code',
      points: 2,
      timeout: '5s',
      hints: [
        'Look at how web and orders find the catalog: process.env.CATALOG_URL ?? \'http://127.0.0.1:8080/catalog\'. Started in staging without CATALOG_URL, web would quietly call the default environment\'s catalog.',
        'Remove the fallbacks. Read the setting, and if it is missing, log which one and exit: if (!process.env.CATALOG_URL) { console.error(\'CATALOG_URL is not set\'); process.exit(1); }',
      ],
      async run(ctx) {
        const problems = [
          await refusedToStart(ctx.environment('no-catalog-url'), 'web', ['CATALOG_URL'], 'In staging that address would be the default environment\'s: staging\'s storefront would show another environment\'s data.', ctx.note),
          await refusedToStart(ctx.environment('no-addresses'), 'orders', ADDRESSES, 'Orders placed in staging could charge payments in another environment.', ctx.note),
        ].filter(Boolean);
        if (problems.length) fail(problems.join('\n'));
      },
    },
    {
      name: 'no-secret-in-code',
      title: 'payment without its API key refuses to start (no key built into the code)',
      points: 1,
      timeout: '5s',
      hints: [
        'Start payment without PAYMENT_API_KEY and see what it does. If it starts, it has a key (or no check at all) in its code.',
        'Read the key from process.env.PAYMENT_API_KEY; if it is missing, log "PAYMENT_API_KEY is not set" and exit(1). Never write a default key.',
      ],
      async run(ctx) {
        const problem = await refusedToStart(ctx.environment('no-payment-key'), 'payment', ['PAYMENT_API_KEY'], 'A key in the code is a secret in the repository, the same in every environment.', ctx.note);
        if (problem) fail(problem);
      },
    },
  ],
});
