import { appendFileSync } from 'node:fs';

export type PlatformEventType =
  | 'platform' | 'started' | 'ready' | 'not-ready' | 'crashed' | 'unhealthy' | 'restarting' | 'restarted'
  | 'killed' | 'scaled' | 'stopping' | 'stopped' | 'drained' | 'failed' | 'ejected' | 'returned' | 'exposed' | 'exited';

export interface PlatformEvent {
  time: string;
  type: PlatformEventType;
  service?: string;
  instance?: string;
  message: string;
}

/** Everything that happens to instances, with times: kept as JSON lines so `tall events` works even after `tall down`. */
export class EventLog {
  private readonly recent: PlatformEvent[] = [];

  constructor(private readonly file: string, private readonly onEvent?: (event: PlatformEvent) => void) {}

  record(type: PlatformEventType, message: string, where: { service?: string; instance?: string } = {}): PlatformEvent {
    const event: PlatformEvent = { time: new Date().toISOString(), type, ...where, message };
    this.recent.push(event);
    if (this.recent.length > 500) this.recent.shift();
    appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    this.onEvent?.(event);
    return event;
  }

  all(): readonly PlatformEvent[] {
    return this.recent;
  }
}
