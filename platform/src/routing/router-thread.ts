import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Endpoint } from './balancer.js';
import { PortInUseError, Router, type RouterNotice, type RouterOptions } from './router.js';
import type { RoutingTable } from './routing-table.js';
import type { RouteSettings } from './route-settings.js';
import type { Fault } from '../chaos/fault-rules.js';
import type { RedTotals } from './router-metrics.js';
import type { RotationLimits } from '../monitoring/log-limits.js';
import { RotatingJsonl } from '../monitoring/rotating-jsonl.js';

type Command =
  | { kind: 'declare'; route: string; settings: RouteSettings }
  | { kind: 'member'; route: string; endpoint: Endpoint; inPool: boolean }
  | { kind: 'faults'; route: string; faults: Fault[] }
  | { kind: 'inflight'; route: string; id: string; ask: number }
  | { kind: 'metrics'; ask: number }
  | { kind: 'totals'; ask: number }
  | { kind: 'close' };

type Report =
  | { kind: 'listening'; port: number }
  | { kind: 'listen-failed'; message: string; host?: string; port?: number }
  | { kind: 'notice'; notice: RouterNotice }
  | { kind: 'answer'; ask: number; value: number | string }
  | { kind: 'closed' };

/** What the thread is started with: the router's options, and where it keeps its access log (one line per request). */
export interface RouterThreadOptions extends Omit<RouterOptions, 'onNotice' | 'onAccess'> {
  accessLog?: { file: string; limits: RotationLimits };
}

/**
 * The router in a thread of its own, so proxying never waits behind the control plane's other work (probes, log lines
 * from every instance, state files). The control plane talks to it through messages.
 */
export class RouterThread implements RoutingTable {
  private readonly worker: Worker;
  private readonly asks = new Map<number, (value: number | string) => void>();
  private nextAsk = 0;
  port = 0;

  constructor(options: RouterThreadOptions, onNotice?: (notice: RouterNotice) => void) {
    this.worker = new Worker(new URL('./router-thread-entry.mjs', import.meta.url), { workerData: options });
    this.worker.on('message', (report: Report) => {
      if (report.kind === 'notice') onNotice?.(report.notice);
      if (report.kind === 'answer') {
        this.asks.get(report.ask)?.(report.value);
        this.asks.delete(report.ask);
      }
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onReport = (report: Report) => {
        if (report.kind === 'listening') {
          this.port = report.port;
          resolve();
        } else if (report.kind === 'listen-failed') {
          reject(report.host ? new PortInUseError(report.host, report.port!) : new Error(report.message));
        } else return;
        this.worker.off('message', onReport);
      };
      this.worker.on('message', onReport);
      this.worker.once('error', reject);
    });
  }

  declare(route: string, settings: RouteSettings): void {
    this.send({ kind: 'declare', route, settings });
  }

  setMember(route: string, endpoint: Endpoint, inPool: boolean): void {
    this.send({ kind: 'member', route, endpoint, inPool });
  }

  setFaults(route: string, faults: Fault[]): void {
    this.send({ kind: 'faults', route, faults });
  }

  inflight(route: string, id: string): Promise<number> {
    return this.ask((ask) => ({ kind: 'inflight', route, id, ask })) as Promise<number>;
  }

  /** The router's metrics, in Prometheus' text format. */
  metrics(): Promise<string> {
    return this.ask((ask) => ({ kind: 'metrics', ask })) as Promise<string>;
  }

  /** Every service's request, error and duration totals so far, for the dashboard's rates. */
  async totals(): Promise<Record<string, RedTotals>> {
    return JSON.parse((await this.ask((ask) => ({ kind: 'totals', ask }))) as string) as Record<string, RedTotals>;
  }

  private ask(command: (ask: number) => Command): Promise<number | string> {
    const ask = this.nextAsk++;
    return new Promise((resolve) => {
      this.asks.set(ask, resolve);
      this.send(command(ask));
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.worker.on('message', (report: Report) => report.kind === 'closed' && resolve()));
    this.send({ kind: 'close' });
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000))]);
    await this.worker.terminate();
  }

  private send(command: Command): void {
    this.worker.postMessage(command);
  }
}

/** Access lines wait at most this long to be written together (a line per request would be a file write per request). */
export const ACCESS_LINGER_MS = 100;

async function runInThread(): Promise<void> {
  const port = parentPort!;
  const report = (message: Report) => port.postMessage(message);
  const { accessLog, ...options } = workerData as RouterThreadOptions;
  // Written from this thread: an access line per request must not queue behind the control plane's work.
  const access = accessLog ? new RotatingJsonl(accessLog.file, accessLog.limits, undefined, ACCESS_LINGER_MS) : undefined;
  const router = new Router({
    ...options,
    onNotice: (notice) => report({ kind: 'notice', notice }),
    onAccess: access ? (entry) => access.write(JSON.stringify(entry)) : undefined,
  });
  port.on('message', async (command: Command) => {
    if (command.kind === 'declare') router.declare(command.route, command.settings);
    else if (command.kind === 'member') router.setMember(command.route, command.endpoint, command.inPool);
    else if (command.kind === 'faults') router.setFaults(command.route, command.faults);
    else if (command.kind === 'inflight') report({ kind: 'answer', ask: command.ask, value: await router.inflight(command.route, command.id) });
    else if (command.kind === 'metrics') report({ kind: 'answer', ask: command.ask, value: await router.metrics.text() });
    else if (command.kind === 'totals') report({ kind: 'answer', ask: command.ask, value: JSON.stringify(await router.metrics.totals()) });
    else if (command.kind === 'close') {
      await router.close();
      await access?.close();
      report({ kind: 'closed' });
    }
  });
  try {
    await router.listen();
    report({ kind: 'listening', port: router.port });
  } catch (error) {
    const taken = error instanceof PortInUseError ? { host: error.host, port: error.port } : {};
    report({ kind: 'listen-failed', message: (error as Error).message, ...taken });
  }
}

if (!isMainThread && (workerData as { hosts?: unknown })?.hosts) void runInThread();
