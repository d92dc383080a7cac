/**
 * The control plane process: started in the background by `tall up`, one per environment.
 * It outlives the CLI; the CLI finds it through .tall/<env>/state.json.
 */
import { rmSync } from 'node:fs';
import { holdToCeiling, type Containment } from '../containment/containment.js';
import { dirname, join } from 'node:path';
import { parseCompose } from '../compose/parse-compose.js';
import { ComposeError } from '../compose/errors.js';
import { resolveEnvironment } from '../environments/environment.js';
import { EventLog } from '../monitoring/event-log.js';
import { LogStore } from '../monitoring/log-store.js';
import { logLimitsFrom } from '../monitoring/log-limits.js';
import { RouterThread } from '../routing/router-thread.js';
import { PlatformMonitoring } from '../monitoring/platform-monitoring.js';
import { driverFor } from '../runtimes/registry.js';
import type { RuntimeKind } from '../runtimes/runtime.js';
import { ApiServer } from './api-server.js';
import { ControlPlane } from './control-plane.js';
import { UserError } from './user-error.js';
import { writeState, type PlatformState } from './state-file.js';
import { firstFreePort } from '../util/ports.js';
import { processStartTime } from '../util/process-identity.js';
import { ensurePrivateDir } from '../util/private-files.js';
import { Redactor } from '../data-services/credentials.js';
import { DataServices } from '../data-services/data-services.js';
import { dataServiceRoutes } from '../data-services/api-routes.js';
import { ChaosController } from '../chaos/chaos-controller.js';
import type { ChaosRequest } from '../chaos/chaos-request.js';
import { Deployer } from '../delivery/deployer.js';
import { deliveryRoutes } from '../delivery/api-routes.js';
import { Autoscaler } from '../autoscaling/autoscaler.js';
import { cpuSourceFor } from '../autoscaling/cpu-usage.js';

/** What the platform client settled before starting the control plane (nothing here is a secret: it is in argv). */
export interface DaemonOptions {
  env: string;
  root: string;
  stateDir: string;
  composeFile: string;
  runtime: RuntimeKind;
  /** the router port; none: the next free one from 8081 */
  port?: number;
  timeoutMs: number;
  containment?: Containment;
}

async function main(options: DaemonOptions): Promise<void> {
  const env = resolveEnvironment(options.env, options.root, options.composeFile, dirname(options.stateDir));
  ensurePrivateDir(dirname(env.stateDir));
  ensurePrivateDir(env.stateDir);
  // Runs follow each other in the same bounded files; the unbounded copies older versions kept go.
  for (const name of ['logs.jsonl.previous', 'events.jsonl.previous']) rmSync(join(env.stateDir, name), { force: true });
  const limits = logLimitsFrom(process.env);
  const logs = new LogStore(join(env.stateDir, 'logs.jsonl'), limits);
  let monitoring: PlatformMonitoring | undefined;
  const events = new EventLog(join(env.stateDir, 'events.jsonl'), (event) => {
    logs.write('platform', `${event.type}: ${event.message}`);
    monitoring?.changed();
  }, limits.events);
  // Data-service passwords are masked in everything the platform writes down (an app may print its DATABASE_URL).
  const redactor = new Redactor();
  logs.setRedactor((line) => redactor.redact(line));
  events.setRedactor((text) => redactor.redact(text));
  const marker = `--- platform started ${new Date().toISOString()} (${options.runtime} runtime) ---`;
  logs.write('platform', marker);
  events.mark(marker);
  const state: PlatformState = {
    env: env.name, runtime: options.runtime, pid: process.pid, pidStartTime: processStartTime(process.pid), phase: 'preparing', startedAt: new Date().toISOString(),
    composeFile: env.composeFile, projectName: env.projectName, progress: [], warnings: [], services: [], instances: [],
  };
  const publish = () => writeState(env.stateDir, state);
  const progress = (line: string) => {
    state.progress.push(line);
    logs.write('platform', line);
    publish();
  };
  publish();

  let shuttingDown: Promise<void> | undefined;
  let stop: () => Promise<void> = async () => undefined;
  const shutdown = () => (shuttingDown ??= (async () => {
    await stop();
    await Promise.all([logs.close(), events.close()]);
    process.exit(0);
  })());
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());

  try {
    const port = options.port ?? (await firstFreePort(8081));
    const setup = await (await driverFor(options.runtime)).create(env, port, { ...env.variables, ...stringEnv(process.env), TALL_ENV: env.name }, options.containment);
    const readProject = () => parseCompose(env.composeFile, { env: setup.interpolation, contained: options.containment && { servicesDir: options.containment.servicesDir ?? dirname(env.composeFile) } });
    const project = readProject();
    state.warnings = project.warnings;
    if (options.containment) holdToCeiling(project, options.containment);
    let plane: ControlPlane | undefined;
    const routerMonitoring = process.env.TALL_ROUTER_MONITORING !== 'off';
    const router = new RouterThread(
      {
        hosts: [...new Set(['127.0.0.1', ...setup.extraRouterHosts])],
        port,
        monitoring: routerMonitoring,
        accessLog: routerMonitoring ? { file: join(env.stateDir, 'access.jsonl'), limits: limits.logs } : undefined,
      },
      (notice) => {
        logs.write('router', `${notice.kind} ${notice.route}${notice.instance ? ` (${notice.instance})` : ''}: ${notice.detail}`);
        plane?.onRouterNotice(notice);
      },
    );
    await router.listen();
    state.routerPort = router.port;
    state.routerUrl = `http://127.0.0.1:${router.port}`;
    plane = new ControlPlane(project, setup.runtime, router, events, logs, { maxReplicas: options.containment?.maxReplicas });
    const controlPlane = plane;
    const data = new DataServices(env, options.runtime, project, events, logs, redactor);
    data.attach(controlPlane);
    const chaos = new ChaosController({
      routeOf: (service) => controlPlane.routeOf(service),
      kill: (service) => controlPlane.kill(service, undefined, 'chaos'),
      setFaults: (route, faults) => router.setFaults(route, faults),
      record: (message, where) => events.record('chaos', message, where),
    });
    const deployer = new Deployer({
      fleet: controlPlane.fleet(), runtime: setup.runtime, events, totals: () => router.totals(), services: project.services,
      readSpec: (service) => {
        const fresh = readProject();
        if (options.containment) holdToCeiling(fresh, options.containment);
        const spec = fresh.services.find((candidate) => candidate.name === service);
        if (!spec) throw new UserError(`service "${service}" is no longer in ${env.composeFile}`);
        return spec;
      },
    });
    const api = new ApiServer({
      ...dataServiceRoutes(data),
      ...deliveryRoutes(deployer, (line) => logs.write('platform', line)),
      'POST /chaos/start': async (body) => chaos.start(body as unknown as ChaosRequest),
      'POST /chaos/stop': async (body) => ({ stopped: chaos.stop(body.service === undefined ? undefined : String(body.service)) }),
      'POST /chaos/list': async () => chaos.list(),
      'POST /status': async () => state,
      'POST /scale': async (body) => scaleByHand(String(body.service), Number(body.replicas)),
      'POST /kill': async (body) => controlPlane.kill(String(body.service), body.index === undefined ? undefined : Number(body.index)),
      'POST /dashboard-ticket': async () => monitoring!.ticket(),
      'POST /down': async () => {
        setImmediate(() => void shutdown());
        return { stopping: true };
      },
    });
    const autoscaler = autoscalerFor(controlPlane, router, options.runtime, routerMonitoring, (service, error) => logs.write('platform', `autoscale ${service}: ${error.message}`));
    // `tall scale` on an autoscaled service: the autoscaler holds the count for a while and the answer says how long.
    async function scaleByHand(service: string, replicas: number) {
      if (!autoscaler) return controlPlane.scale(service, replicas);
      const { result, holdMs } = await autoscaler.scaleByHand(service, () => controlPlane.scale(service, replicas));
      return holdMs === undefined ? result : { ...result, autoscaledHoldMs: holdMs };
    }
    monitoring = new PlatformMonitoring({ plane: controlPlane, router, events, api, state: () => state, dataServices: () => data.broker.instances(), chaos: () => chaos.list(), root: env.root });
    const watched = monitoring;
    stop = async () => {
      state.phase = 'stopping';
      publish();
      autoscaler?.stop();
      await watched.stop();
      chaos.clear();
      // Apps first, then their databases: no app sees its database go while it still serves.
      data.quiesce();
      await controlPlane.shutdown();
      await data.shutdown().catch((error: Error) => logs.write('platform', `data services: ${error.message}`));
      await router.close();
      logs.write('router', 'router stopped');
      await api.close();
    };
    state.api = { port: await api.listen(), token: api.token };
    state.metricsUrl = await watched.start();
    data.broker.on('changed', () => {
      state.dataServers = data.broker.instances().flatMap((instance) => (instance.pid ? [{ name: instance.name, pid: instance.pid, pidStartTime: instance.pidStartTime }] : []));
      watched.changed();
      publish();
    });
    controlPlane.on('changed', () => {
      watched.changed();
      state.phase = controlPlane.phase === 'starting' ? state.phase : controlPlane.phase;
      state.services = controlPlane.services();
      state.instances = controlPlane.instanceViews();
      state.failure = controlPlane.failure;
      publish();
    });
    // Under "router", so `tall logs router` shows the router's own life, not only its retries and failures.
    const routes = project.services.flatMap((service) => (service.tall.route ? [`/${service.tall.route}/`] : []));
    const listening = `router listening on ${state.routerUrl} (routes: ${routes.join(', ') || 'none'})`;
    state.progress.push(listening);
    logs.write('router', listening);
    publish();
    // Side by side: images build while the databases start; bound services start only after both.
    await Promise.all([setup.runtime.prepare(project, progress), data.prepare(progress)]);
    state.phase = 'starting';
    publish();
    await controlPlane.up(options.timeoutMs, progress);
    autoscaler?.start();
  } catch (error) {
    state.phase = 'failed';
    if (error instanceof ComposeError) state.warnings = error.warnings;
    state.failure ??= error instanceof ComposeError
      ? { service: 'platform', reason: error.message, problems: error.problems.map((problem) => problem.message), fix: `fix the compose file (check it with "npx tall config"), then run "npx tall up" again`, logTail: [] }
      : { service: 'platform', reason: (error as Error).message, fix: error instanceof UserError ? error.fix : undefined, logTail: [] };
    publish();
    await stop().catch(() => undefined);
    state.phase = 'failed';
    publish();
    await Promise.all([logs.close(), events.close()]);
    process.exit(1);
  }
}

/**
 * The autoscaler, when a service has a policy; a policy this platform can't measure is refused here, so `tall up`
 * says so at once rather than the service never scaling.
 */
function autoscalerFor(plane: ControlPlane, router: RouterThread, runtime: RuntimeKind, routerMonitoring: boolean, onError: (service: string, error: Error) => void): Autoscaler | undefined {
  const policies = plane.project.services.flatMap((service) => (service.tall.autoscale ? [{ name: service.name, metric: service.tall.autoscale.metric }] : []));
  if (policies.length === 0) return undefined;
  const measuredByRouter = policies.find((policy) => policy.metric !== 'cpu_percent');
  if (measuredByRouter && !routerMonitoring) {
    throw new UserError(`${measuredByRouter.name}'s x-tall.autoscale targets ${measuredByRouter.metric}, which the router measures, but TALL_ROUTER_MONITORING=off turns its metrics off`, 'unset TALL_ROUTER_MONITORING, then "npx tall up" again');
  }
  const cpu = policies.some((policy) => policy.metric === 'cpu_percent') ? cpuSourceFor(runtime) : undefined;
  return new Autoscaler(plane, { totals: () => router.totals(), cpu }, { onError });
}

function stringEnv(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(source).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const encoded = process.argv[2];
if (!encoded) {
  console.error('the control plane is started by "npx tall up", not by hand');
  process.exit(2);
}
void main(JSON.parse(encoded) as DaemonOptions);
