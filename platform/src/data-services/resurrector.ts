import { CrashCounter } from '../failover/backoff.js';
import type { EventLog } from '../monitoring/event-log.js';
import type { ServiceBroker } from './broker.js';

/**
 * BOSH's resurrector for the broker's database servers: a server that ends without being asked to is started again
 * from its data (same folder or volume, same credentials), with the platform's restart curve (at once for the first
 * crashes, then 1 s, 2 s, 4 s … up to 30 s), and every step is in `tall events`. TALL_DATA_RESURRECT=off leaves a
 * crashed server down (for drills that need it down).
 */
export class Resurrector {
  private readonly crashes = new Map<string, CrashCounter>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly enabled = process.env.TALL_DATA_RESURRECT !== 'off';

  constructor(private readonly broker: ServiceBroker, private readonly events: EventLog) {
    broker.provider.on('exit', (name: string, detail: string) => this.onExit(name, detail));
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private onExit(name: string, detail: string): void {
    if (this.broker.isQuiesced() || !this.broker.store.get(name)) return;
    this.broker.markDown(name);
    if (!this.enabled) {
      this.events.record('crashed', `${name}: its database server ${detail}; it stays down (TALL_DATA_RESURRECT=off)`, { service: name });
      return;
    }
    const counter = this.crashes.get(name) ?? new CrashCounter();
    this.crashes.set(name, counter);
    const delay = counter.crashed();
    this.events.record('crashed', `${name}: its database server ${detail}; the broker brings it back ${delay === 0 ? 'now' : `in ${(delay / 1000).toFixed(1)} s`} (crash ${counter.count} in a row)`, { service: name });
    this.schedule(name, delay, Date.now());
  }

  private schedule(name: string, delay: number, downSince: number): void {
    clearTimeout(this.timers.get(name));
    this.timers.set(name, setTimeout(() => void this.bringBack(name, downSince), delay));
  }

  private async bringBack(name: string, downSince: number): Promise<void> {
    this.timers.delete(name);
    if (this.broker.isQuiesced() || !this.broker.store.get(name)) return;
    const counter = this.crashes.get(name)!;
    try {
      const handle = await this.broker.resurrect(name);
      counter.started();
      this.events.record('resurrected', `${name}: database server back on ${handle.host.host}:${handle.host.port} after ${((Date.now() - downSince) / 1000).toFixed(1)} s, its data intact`, { service: name });
    } catch (error) {
      if (this.broker.isQuiesced()) return;
      const delay = Math.max(1000, counter.crashed());
      this.events.record('restarting', `${name}: could not start its database server (${(error as Error).message}); trying again in ${(delay / 1000).toFixed(1)} s`, { service: name });
      this.schedule(name, delay, downSince);
    }
  }
}
