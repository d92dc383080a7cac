import { DEFAULT_LIMITS, type RotationLimits } from './log-limits.js';
import { RotatingJsonl } from './rotating-jsonl.js';

export type PlatformEventType =
  | 'platform' | 'started' | 'ready' | 'not-ready' | 'crashed' | 'unhealthy' | 'restarting' | 'restarted'
  | 'killed' | 'scaled' | 'autoscaled' | 'stopping' | 'stopped' | 'drained' | 'failed' | 'ejected' | 'returned' | 'exposed' | 'exited'
  | 'metrics-failing' | 'metrics-back'
  // tall chaos: a kill schedule or an injected fault started, killed an instance, stopped or ran out
  | 'chaos'
  // deploys (delivery/): a version starting, in place, undone by hand or by itself, or never started (its build failed)
  | 'deploying' | 'deployed' | 'rolled-back' | 'deploy-failed' | 'switched'
  // data services: the broker's operations, its resurrector, and the rolling restarts bindings cause
  | 'provisioning' | 'provisioned' | 'deprovisioned' | 'bound' | 'unbound' | 'replaced' | 'resurrected' | 'backed-up' | 'restored' | 'port-changed';

export interface PlatformEvent {
  time: string;
  type: PlatformEventType;
  service?: string;
  instance?: string;
  message: string;
}

/**
 * Everything that happens to instances, with times: kept as JSON lines (rotated like the logs, smaller) so
 * `tall events` works even after `tall down`, and earlier runs stay readable.
 */
export class EventLog {
  private readonly recent: PlatformEvent[] = [];
  private readonly out: RotatingJsonl;
  private redact: (text: string) => string = (text) => text;

  constructor(file: string, private readonly onEvent?: (event: PlatformEvent) => void, limits: RotationLimits = DEFAULT_LIMITS.events) {
    this.out = new RotatingJsonl(file, limits, (error) => console.error(`event log: ${file}: ${error.message}`));
  }

  /** Every message passes through `redact` first: no credential reaches the events file. */
  setRedactor(redact: (text: string) => string): void {
    this.redact = redact;
  }

  record(type: PlatformEventType, message: string, where: { service?: string; instance?: string } = {}): PlatformEvent {
    const event = this.append(type, this.redact(message), where);
    this.onEvent?.(event);
    return event;
  }

  /** A line between runs in the events file only (the log store gets its own). */
  mark(message: string): void {
    this.append('platform', message, {});
  }

  all(): readonly PlatformEvent[] {
    return this.recent;
  }

  close(): Promise<void> {
    return this.out.close();
  }

  private append(type: PlatformEventType, message: string, where: { service?: string; instance?: string }): PlatformEvent {
    const event: PlatformEvent = { time: new Date().toISOString(), type, ...where, message };
    this.recent.push(event);
    if (this.recent.length > 500) this.recent.shift();
    this.out.write(JSON.stringify(event));
    return event;
  }
}
