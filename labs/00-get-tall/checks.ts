// Lab 00 · Get tall — the checks. They run against your services/ on a throwaway platform (see "npx tall check --help").
import { brief, defineChecks, fail } from '../../platform/src/labs/check-api.js';

const SERVICES = ['catalog', 'payment', 'orders', 'notifier', 'web'];

export default defineChecks({
  environments: {
    // The storefront alone, without the catalog: what it shows then cannot have come from the catalog.
    'without-catalog': { config: 'default', only: ['web'] },
  },
  checks: [
    {
      name: 'machine-ready',
      title: 'this machine can run the kit ("tall doctor")',
      points: 1,
      timeout: '20s',
      hints: [
        'Run "npx tall doctor" yourself: every line with ✘ says what is wrong and how to fix it.',
        'Node must be 20 or newer ("node --version"), and the disk needs 2 GB free. Docker is optional: without it the kit runs each instance as a local process.',
      ],
      async run(ctx) {
        const doctor = await ctx.tallJson<{ checks: { name: string; ok: boolean; optional?: boolean; detail: string; fix?: string }[] }>(['doctor']);
        // The router port is about the learner's own platform (8080); the check's platform uses a free port.
        const broken = doctor.checks.filter((check) => !check.ok && !check.optional && check.name !== 'router port');
        if (broken.length) fail(`"tall doctor" found problems: ${broken.map((check) => `${check.name}: ${check.detail}${check.fix ? ` (fix: ${check.fix})` : ''}`).join('; ')}`);
        return doctor.checks.map((check) => `${check.name}: ${check.detail}`).join('; ');
      },
    },
    {
      name: 'every-service-ready',
      title: 'the platform starts all five services and every instance is ready',
      points: 1,
      timeout: '10s',
      hints: [
        'Run "npx tall up" and then "npx tall ps": every instance should say READY yes.',
        'A service that is not ready usually crashed at start: "npx tall logs <service>" shows why.',
      ],
      async run(ctx) {
        const services = await ctx.services();
        const missing = SERVICES.filter((name) => !services.some((service) => service.name === name));
        if (missing.length) fail(`compose.yaml should describe the shop's five services; missing: ${missing.join(', ')} (it has: ${services.map((s) => s.name).join(', ')})`);
        const short = services.filter((service) => service.ready < service.desired || service.desired < 1);
        if (short.length) fail(`not every instance is ready: ${short.map((s) => `${s.name} ${s.ready}/${s.desired}`).join(', ')}`);
        return services.map((s) => `${s.name} ${s.ready}/${s.desired}`).join(', ');
      },
    },
    {
      name: 'storefront-through-router',
      title: 'the storefront answers through the router, with the catalog\'s products and an x-instance header',
      points: 2,
      timeout: '10s',
      hints: [
        'Open http://127.0.0.1:8080/web/ in a browser after "npx tall up", or run: curl -i http://127.0.0.1:8080/web/',
        'The router strips the route ("/web") and forwards "/" to an instance of web; web asks the catalog, through the router, for the products.',
      ],
      async run(ctx) {
        const page = await ctx.http.get('/web/');
        if (page.status !== 200) fail(`GET /web/ answered ${page.status}; expected 200 with the storefront page. The body began: ${brief(page.text, 200)}`);
        const products = await ctx.http.get('/catalog/products');
        const names = Array.isArray(products.json) ? (products.json as { name?: string }[]).map((p) => String(p.name ?? '')) : [];
        if (names.length === 0) fail(`GET /catalog/products should list the products; it answered ${products.status}: ${brief(products.text)}`);
        const absent = names.filter((name) => !page.text.includes(escapeHtml(name)));
        if (absent.length) fail(`the storefront page should list every product of the catalog; it does not show: ${absent.join(', ')}`);
        if (!page.instance) fail('the answer has no x-instance header; the router adds one naming the instance that answered');
        // The other side: started without the catalog, the storefront cannot know the products (it may fail, or say so).
        const alone = ctx.environment('without-catalog');
        if (alone.started) {
          const lonely = await alone.http.get('/web/');
          const shown = names.filter((name) => lonely.text.includes(escapeHtml(name)));
          if (lonely.status === 200 && shown.length > names.length / 2) {
            fail(`started without any catalog, the storefront still lists ${shown.length} of the ${names.length} products: the page must get them from the catalog (\${CATALOG_URL}/products, through the router), not from its own code`);
          }
          ctx.note(`without a catalog, GET /web/ answered ${lonely.status}${shown.length ? ` listing ${shown.length} products` : ' without the products'}`);
        }
        return `served by ${page.instance}, with the ${names.length} products of the catalog`;
      },
    },
    {
      name: 'web-runs-two-instances',
      title: 'compose.yaml runs two instances of web, and the router spreads requests over both',
      points: 2,
      timeout: '15s',
      hints: [
        'Try it by hand first: "npx tall scale web 2", then reload http://127.0.0.1:8080/web/ a few times and watch the "Served by" line (and curl -i\'s x-instance header).',
        '"tall scale" changes the running platform only. To make two instances the desired state every time the shop starts, say so in services/compose.yaml.',
        'Under "web:" in services/compose.yaml add:\n    deploy:\n      replicas: 2\nthen "npx tall down && npx tall up" and "npx tall ps" shows web/1 and web/2.',
      ],
      async run(ctx) {
        const web = (await ctx.services()).find((service) => service.name === 'web');
        if (!web) fail('there is no service "web"');
        if (web.desired !== 2) fail(`right after "tall up" the platform runs ${web.desired} instance${web.desired === 1 ? '' : 's'} of web; expected 2, declared in services/compose.yaml (deploy.replicas, or Compose's scale) so that every "tall up" starts two`);
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) {
          const page = await ctx.http.get('/web/');
          if (page.status !== 200) fail(`GET /web/ answered ${page.status} on request ${i + 1}; expected 200`);
          if (page.instance?.startsWith('web/')) seen.add(page.instance);
        }
        if (seen.size < 2) fail(`6 requests to /web/ were all answered by ${[...seen].join(', ') || 'no instance of web'}; expected both web/1 and web/2 to answer`);
        return `answered by ${[...seen].sort().join(' and ')}`;
      },
    },
  ],
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
