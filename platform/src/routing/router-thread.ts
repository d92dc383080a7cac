import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Endpoint } from './balancer.js';
import { PortInUseError, Router, type RouterNotice, type RouterOptions } from './router.js';
import type { RoutingTable } from './routing-table.js';
import type { RouteSettings } from './route-settings.js';

type Command =
  | { kind: 'declare'; route: string; settings: RouteSettings }
  | { kind: 'member'; route: string; endpoint: Endpoint; inPool: boolean }
  | { kind: 'inflight'; route: string; id: string; ask: number }
  | { kind: 'close' };

type Report =
  | { kind: 'listening'; port: number }
  | { kind: 'listen-failed'; message: string; host?: string; port?: number }
  | { kind: 'notice'; notice: RouterNotice }
  | { kind: 'inflight'; ask: number; count: number }
  | { kind: 'closed' };

/**
 * The router in a thread of its own, so proxying never waits behind the control plane's other work (probes, log lines
 * from every instance, state files). The control plane talks to it through messages.
 */
export class RouterThread implements RoutingTable {
  private readonly worker: Worker;
  private readonly asks = new Map<number, (count: number) => void>();
  private nextAsk = 0;
  port = 0;

  constructor(options: Omit<RouterOptions, 'onNotice'>, onNotice?: (notice: RouterNotice) => void) {
    this.worker = new Worker(new URL('./router-thread-entry.mjs', import.meta.url), { workerData: options });
    this.worker.on('message', (report: Report) => {
      if (report.kind === 'notice') onNotice?.(report.notice);
      if (report.kind === 'inflight') {
        this.asks.get(report.ask)?.(report.count);
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

  inflight(route: string, id: string): Promise<number> {
    const ask = this.nextAsk++;
    return new Promise((resolve) => {
      this.asks.set(ask, resolve);
      this.send({ kind: 'inflight', route, id, ask });
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

async function runInThread(): Promise<void> {
  const port = parentPort!;
  const report = (message: Report) => port.postMessage(message);
  const router = new Router({ ...(workerData as Omit<RouterOptions, 'onNotice'>), onNotice: (notice) => report({ kind: 'notice', notice }) });
  port.on('message', async (command: Command) => {
    if (command.kind === 'declare') router.declare(command.route, command.settings);
    else if (command.kind === 'member') router.setMember(command.route, command.endpoint, command.inPool);
    else if (command.kind === 'inflight') report({ kind: 'inflight', ask: command.ask, count: await router.inflight(command.route, command.id) });
    else if (command.kind === 'close') {
      await router.close();
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
