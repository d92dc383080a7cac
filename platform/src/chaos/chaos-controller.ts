import { checkChaosRequest, type ActiveChaos, type ChaosRequest } from './chaos-request.js';
import { describeChaos, describeParameters, humanDuration, timeLeft } from './describe-chaos.js';
import type { Fault } from './fault-rules.js';
import { UserError } from '../control-plane/user-error.js';

/** What the chaos controller needs of the platform (the control plane, the router, the event log). */
export interface ChaosHooks {
  /** the route a service is reached at (false: not routed); throws a UserError naming the services for an unknown one */
  routeOf(service: string): string | false;
  /** kills a random running instance through the runtime, as a crash: the normal restart path brings it back */
  kill(service: string): Promise<{ id: string }>;
  setFaults(route: string, faults: Fault[]): void;
  record(message: string, where: { service: string; instance?: string }): void;
}

export interface ChaosOutcome {
  chaos: ActiveChaos;
  /** the instance a kill (the first of a schedule) hit */
  killed?: string;
}

interface Running {
  chaos: ActiveChaos;
  timers: NodeJS.Timeout[];
}

/**
 * Chaos Monkey and fault injection, run by the control plane so a schedule outlives the CLI that started it. At most one
 * chaos of each kind per service: starting another replaces it. Everything it does is a 'chaos' event.
 */
export class ChaosController {
  private readonly running = new Map<string, Running>();

  constructor(private readonly hooks: ChaosHooks) {}

  async start(request: ChaosRequest): Promise<ChaosOutcome> {
    checkChaosRequest(request);
    const route = this.hooks.routeOf(request.service);
    if (request.kind !== 'kill' && route === false) {
      throw new UserError(`${request.service} is not routed (x-tall.route: false): faults are injected at the router, into requests for a route`);
    }
    const now = Date.now();
    const chaos: ActiveChaos = { ...request, startedAt: new Date(now).toISOString(), endsAt: request.forMs === undefined ? undefined : new Date(now + request.forMs).toISOString() };
    if (request.kind === 'kill' && request.everyMs === undefined) {
      const killed = await this.killOne(chaos, 'once');
      return { chaos, killed };
    }
    this.end(keyOf(chaos), undefined);
    const entry: Running = { chaos, timers: [] };
    this.running.set(keyOf(chaos), entry);
    this.hooks.record(`chaos: ${describeChaos(chaos)}, ${request.forMs === undefined ? 'until stopped' : `for ${humanDuration(request.forMs)}`}`, { service: chaos.service });
    if (request.forMs !== undefined) entry.timers.push(setTimeout(() => this.end(keyOf(chaos), `its ${humanDuration(request.forMs!)} are over`), request.forMs));
    if (chaos.kind !== 'kill') {
      this.applyFaults(chaos.service, route as string);
      return { chaos };
    }
    chaos.kills = 0;
    entry.timers.push(setInterval(() => void this.scheduledKill(entry), chaos.everyMs));
    return { chaos, killed: await this.scheduledKill(entry) };
  }

  /** Ends the chaos of one service (or all of it); what was stopped. */
  stop(service?: string): ActiveChaos[] {
    if (service !== undefined) this.hooks.routeOf(service);
    const stopped = [...this.running.values()].filter((entry) => service === undefined || entry.chaos.service === service).map((entry) => entry.chaos);
    for (const chaos of stopped) this.end(keyOf(chaos), 'stopped by tall chaos stop');
    return stopped;
  }

  list(now = Date.now()): ActiveChaos[] {
    return [...this.running.values()].map(({ chaos }) => ({ ...chaos, leftMs: chaos.endsAt === undefined ? undefined : Math.max(0, Date.parse(chaos.endsAt) - now) }));
  }

  /** The platform is stopping: timers go, quietly (the router goes with it). */
  clear(): void {
    for (const entry of this.running.values()) entry.timers.forEach(clearTimeout);
    this.running.clear();
  }

  private async scheduledKill(entry: Running): Promise<string | undefined> {
    if (this.running.get(keyOf(entry.chaos)) !== entry) return undefined;
    const killed = await this.killOne(entry.chaos, `${describeParameters(entry.chaos)}, ${timeLeft(entry.chaos)}`).catch((error: Error) => {
      this.hooks.record(`chaos: nothing killed this time: ${error.message} (${timeLeft(entry.chaos)})`, { service: entry.chaos.service });
      return undefined;
    });
    if (killed) entry.chaos.kills = (entry.chaos.kills ?? 0) + 1;
    return killed;
  }

  private async killOne(chaos: ActiveChaos, how: string): Promise<string> {
    const { id } = await this.hooks.kill(chaos.service);
    this.hooks.record(`chaos: killed ${id} (${how})`, { service: chaos.service, instance: id });
    return id;
  }

  /** `why` undefined: replaced by a new chaos of the same kind, which says so itself. */
  private end(key: string, why: string | undefined): void {
    const entry = this.running.get(key);
    if (!entry) return;
    entry.timers.forEach(clearTimeout);
    this.running.delete(key);
    const { chaos } = entry;
    if (chaos.kind !== 'kill') this.applyFaults(chaos.service, this.hooks.routeOf(chaos.service) as string);
    if (why === undefined) return;
    const kills = chaos.kind === 'kill' ? ` (${chaos.kills} instance${chaos.kills === 1 ? '' : 's'} killed)` : '';
    this.hooks.record(`chaos: ended ${describeChaos(chaos)}: ${why}${kills}`, { service: chaos.service });
  }

  /** The router gets every fault now active on the service's route. */
  private applyFaults(service: string, route: string): void {
    const faults = [...this.running.values()].flatMap(({ chaos }): Fault[] => {
      if (chaos.service !== service) return [];
      if (chaos.kind === 'latency') return [{ kind: 'latency', delayMs: chaos.delayMs, percent: chaos.percent }];
      if (chaos.kind === 'abort') return [{ kind: 'abort', status: chaos.status, percent: chaos.percent }];
      if (chaos.kind === 'lose-answer') return [{ kind: 'lose-answer', percent: chaos.percent }];
      return [];
    });
    this.hooks.setFaults(route, faults);
  }
}

const keyOf = (chaos: ChaosRequest) => `${chaos.kind} ${chaos.service}`;
