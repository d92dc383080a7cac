// Lab 13 · Graduate: the same shop on Docker Swarm, and what Kubernetes would do — the checks. They run against a
// throwaway copy of your services/. Rules for checks a learner can trust: README.md, "Writing a lab".
//
// The Swarm check deploys your shop as a stack of its own (a random name, a free port: your own `tall graduate swarm`
// stack is never touched), places orders through its gateway, kills a task, rolls every service at once (as a release
// of new images does) while orders keep coming, and removes the stack, its images and its volumes at the end.
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import YAML from 'yaml';
import { defineChecks, describeAnswer, fail, freePort, type CheckContext } from '../../platform/src/labs/check-api.js';
import { FEATURES, mapProblems } from './platform-map.js';

const MAP_FILE = 'platform-map.yaml';
/** Requests a second during the rolls, over every route the checks use: light, so a busy laptop serves it easily. */
const LOAD_RPS = 6;

/** What `tall graduate swarm --json` says it deployed (the parts the check reads). */
interface Deployed {
  gatewayUrl: string;
  services: { name: string; replicas: string }[];
}

interface DockerRun {
  code: number;
  stdout: string;
  stderr: string;
}

const lastLines = (run: DockerRun, count = 4) => (run.stderr || run.stdout).trim().split('\n').slice(-count).join(' / ');

/**
 * The check's own docker commands, an operator's: not ctx.run, which is for the learner's programs and, when a class is
 * graded, runs them where the Docker socket is out of reach. Stopped with the check.
 */
function dockerRun(ctx: CheckContext, args: string[], timeoutMs: number): Promise<DockerRun> {
  return new Promise((resolve) => {
    execFile('docker', args, { timeout: timeoutMs, signal: ctx.abortSignal, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (error && code !== 0 && !stdout ? error.message : '') });
    });
  });
}

async function docker(ctx: CheckContext, args: string[], timeoutMs = 60_000): Promise<string> {
  const run = await dockerRun(ctx, args, timeoutMs);
  if (run.code !== 0) fail(`docker ${args.join(' ')} failed: ${lastLines(run)}`);
  return run.stdout.trim();
}

/** The ids of a service's tasks that run now. */
async function runningTasks(ctx: CheckContext, service: string): Promise<string[]> {
  return (await docker(ctx, ['service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.ID}} {{.CurrentState}}'])).split('\n').filter((line) => /\bRunning\b/.test(line)).map((line) => line.split(' ')[0]!);
}

/** Requests at LOAD_RPS through the gateway until stopped: every answer that is not 2xx, or no answer, is kept. */
function steadyLoad(ctx: CheckContext, gateway: string, products: string[]) {
  const failed: string[] = [];
  let sent = 0;
  let running = true;
  const requests = [
    () => ctx.http.get(`${gateway}/catalog/products`, { timeoutMs: 15_000 }),
    () => ctx.http.get(`${gateway}/web/`, { timeoutMs: 15_000 }),
    () => ctx.http.post(`${gateway}/orders/orders`, { productId: products[randomInt(products.length)], quantity: randomInt(1, 4) }, { timeoutMs: 15_000 }),
  ];
  const loop = (async () => {
    const inFlight: Promise<void>[] = [];
    while (running && !ctx.abortSignal.aborted) {
      const request = requests[sent++ % requests.length]!;
      inFlight.push(request().then(
        (answer) => {
          if (answer.status >= 300) failed.push(`${answer.method} ${new URL(answer.url).pathname} → ${describeAnswer(answer, 80)}`);
        },
        (error: Error) => void failed.push(error.message),
      ));
      await ctx.sleep(1000 / LOAD_RPS);
    }
    await Promise.all(inFlight);
  })();
  return {
    failed,
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}

/**
 * The stack, its gateway, images and volumes removed by docker itself, in the background: for a check that ran out of
 * time, whose own commands are stopped with it.
 */
function removeLater(stack: string): void {
  const script = `docker rm -f ${stack}-gateway; docker stack rm ${stack}; sleep 30; docker volume rm $(docker volume ls -q --filter label=com.docker.stack.namespace=${stack}); docker image rm $(docker image ls -q --filter label=tall.graduate.stack=${stack})`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

export default defineChecks({
  checks: [
    {
      name: 'platform-map',
      title: `${MAP_FILE} names, for each job the kit's platform did for the shop, what does it on Docker Swarm and on Kubernetes`,
      points: 4,
      timeout: '10s',
      hints: [
        `Start from the list in the README: ${FEATURES.length} jobs, from route-and-balance to monitoring. For each, write what does it on Swarm and on Kubernetes (a compose key, an object, a command) in services/${MAP_FILE}.`,
        'Run the real thing: npx tall graduate swarm --init, then docker service inspect shop_catalog (Endpoint, UpdateConfig, RestartPolicy, Healthcheck); npx tall graduate kubernetes, then read the files it wrote (kinds: Deployment, Service, Ingress, HorizontalPodAutoscaler, ConfigMap…).',
        'Swarm has no autoscaler and one probe for both jobs (a task gets traffic once its healthcheck passes); Kubernetes splits them (livenessProbe restarts, readinessProbe takes out of the Service). "none" is an answer only where the orchestrator really has nothing built in.',
      ],
      async run(ctx) {
        const text = ctx.readFile(MAP_FILE);
        if (text === undefined) fail(`services/${MAP_FILE} does not exist: write, for each of the ${FEATURES.length} jobs in the README (${FEATURES.map((feature) => feature.key).join(', ')}), what does it on Swarm and on Kubernetes`);
        let map: unknown;
        try {
          map = YAML.parse(text);
        } catch (error) {
          fail(`services/${MAP_FILE} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
        }
        const problems = mapProblems(map);
        if (problems.length > 0) fail(`${problems.length} of ${FEATURES.length * 2} answers in services/${MAP_FILE} are missing or not right:\n${problems.join('\n')}`);
        return `${FEATURES.length} jobs, each with what does it on Swarm and on Kubernetes`;
      },
    },
    {
      name: 'rolls-on-swarm',
      title: 'on a real Docker Swarm, your shop takes orders, replaces a killed task, and rolls every service to new tasks at once with no failed request',
      points: 6,
      timeout: '15m',
      hints: [
        'Try it: npx tall graduate swarm --init, then, while a loop places orders through the gateway (curl -X POST http://127.0.0.1:8085/orders/orders …), docker service update --force shop_payment. Does every order still get its 201?',
        'Swarm replaces a task by its update_config, and without one (or with order: stop-first) it stops the old task before the new one runs: fine with two replicas, an outage with one. tall\'s x-tall.deploy: blue-green means nothing to Swarm (npx tall graduate swarm lists what it cannot express).',
        'Give every service that runs a single replica deploy.update_config.order: start-first (the new task healthy before the old one stops). Payment must stay one replica (lab 07: its keys live in its memory) — so start-first is the way. docker service inspect shop_payment --format "{{json .Spec.UpdateConfig}}" shows what Swarm was told.',
      ],
      async run(ctx) {
        const engine = await dockerRun(ctx, ['info', '--format', '{{.Swarm.LocalNodeState}}'], 30_000);
        if (engine.code !== 0) fail(`this check deploys your shop to Docker Swarm and needs a Docker engine: ${lastLines(engine, 2)} — start Docker (or open the kit in its dev container with Docker), then run it again`);
        const stack = `lab13-${randomBytes(3).toString('hex')}`;
        const port = await freePort();
        const steps: string[] = [];
        try {
          const run = await ctx.tall(['graduate', 'swarm', '--init', '--stack', stack, '--port', String(port), '--env', ctx.name, '--json']);
          if (run.code !== 0) fail(`npx tall graduate swarm could not deploy your shop: ${(run.stderr || run.stdout).trim().split('\n').slice(0, 8).join(' / ')}`);
          const deployed = JSON.parse(run.stdout) as Deployed;
          const gateway = deployed.gatewayUrl;
          steps.push(`stack ${stack}: ${deployed.services.length} services`);

          const catalog = await ctx.waitFor('the catalog to answer through the gateway', async () => {
            const answer = await ctx.http.get(`${gateway}/catalog/products`, { timeoutMs: 10_000 }).catch(() => undefined);
            return answer?.status === 200 && Array.isArray(answer.json) && answer.json.length > 0 ? answer : undefined;
          }, 120_000);
          const products = (catalog.json as { id: unknown }[]).map((product) => String(product.id));
          const order = await ctx.waitFor('an order to be confirmed through the gateway', async () => {
            const answer = await ctx.http.post(`${gateway}/orders/orders`, { productId: products[0], quantity: 1 }, { timeoutMs: 15_000 }).catch(() => undefined);
            return answer?.status === 201 ? answer : undefined;
          }, 120_000);
          steps.push(`order ${(order.json as { id?: string }).id ?? ''} confirmed`);

          // A task killed: Swarm starts another in its place.
          const services = ctx.compose().filter((service) => service.build).map((service) => service.name);
          const victimService = `${stack}_orders`;
          const [victim] = await runningTasks(ctx, victimService);
          if (!victim) fail(`${victimService} runs no task`);
          const container = await docker(ctx, ['inspect', '--format', '{{.Status.ContainerStatus.ContainerID}}', victim]);
          await docker(ctx, ['kill', container]);
          await ctx.waitFor(`Swarm to start a new orders task in place of the killed ${victim}`, async () => {
            const tasks = await runningTasks(ctx, victimService);
            return tasks.length > 0 && !tasks.includes(victim) && tasks.length >= Number.parseInt(deployed.services.find((service) => service.name === victimService)?.replicas ?? '1', 10) ? tasks : undefined;
          }, 180_000);
          steps.push(`killed orders task ${victim.slice(0, 10)}: replaced`);

          // Every service rolled to a new task at once, as a release of new images for all of them is, while orders keep
          // coming: which one broke requests shows in the paths that failed.
          const before = new Map(await Promise.all(services.map(async (service) => [service, await runningTasks(ctx, `${stack}_${service}`)] as const)));
          const load = steadyLoad(ctx, gateway, products);
          try {
            const updates = await Promise.all(services.map((service) => dockerRun(ctx, ['service', 'update', '--force', '--detach=false', '--quiet', `${stack}_${service}`], 300_000)));
            const broken = updates.flatMap((update, i) => (update.code === 0 ? [] : [`${services[i]}: ${lastLines(update)}`]));
            if (broken.length > 0) fail(`docker service update --force failed for ${broken.join('; ')}`);
          } finally {
            const sent = await load.stop();
            steps.push(`${sent} requests while Swarm rolled ${services.join(', ')}: ${load.failed.length} failed`);
          }
          for (const service of services) {
            const after = await runningTasks(ctx, `${stack}_${service}`);
            const stale = after.filter((task) => before.get(service)!.includes(task));
            if (stale.length > 0) fail(`after docker service update --force ${stack}_${service}, a task from before still runs (${stale.join(', ')})`);
          }
          if (load.failed.length > 0) {
            fail(`while Swarm replaced the tasks of ${services.map((service) => `${service} (${before.get(service)!.length})`).join(', ')}, ${load.failed.length} request(s) failed, e.g. ${[...new Set(load.failed)].slice(0, 3).join(' | ')} — every service must keep answering while Swarm replaces its tasks (see its update_config)`);
          }
          return steps.join('; ');
        } catch (error) {
          ctx.note(`before it failed: ${steps.join('; ') || 'nothing deployed'}`);
          throw error;
        } finally {
          if (!ctx.abortSignal.aborted) await ctx.tall(['graduate', 'swarm', '--remove', '--volumes', '--stack', stack, '--env', ctx.name, '--json']);
          else removeLater(stack);
        }
      },
    },
  ],
});
