import type { ActiveChaos, ChaosRequest } from './chaos-request.js';

/** "300 ms", "40 s", "1 min 30 s" */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
}

/** "latency of 300 ms on 50 % of requests into catalog" */
export function describeChaos(chaos: ChaosRequest): string {
  switch (chaos.kind) {
    case 'kill':
      return chaos.everyMs === undefined ? `kill a random ${chaos.service} instance` : `kill a random ${chaos.service} instance every ${humanDuration(chaos.everyMs)}`;
    case 'latency':
      return `latency of ${humanDuration(chaos.delayMs)} on ${chaos.percent} % of requests into ${chaos.service}`;
    case 'abort':
      return `answer ${chaos.status} to ${chaos.percent} % of requests into ${chaos.service}`;
    case 'lose-answer':
      return `lose the answer to ${chaos.percent} % of requests into ${chaos.service} (the service does the work; the caller's connection breaks)`;
  }
}

/** What the parameters are, without the service: for the listing's column. */
export function describeParameters(chaos: ChaosRequest): string {
  switch (chaos.kind) {
    case 'kill':
      return chaos.everyMs === undefined ? 'once' : `every ${humanDuration(chaos.everyMs)}`;
    case 'latency':
      return `${humanDuration(chaos.delayMs)} on ${chaos.percent} %`;
    case 'abort':
      return `${chaos.status} on ${chaos.percent} %`;
    case 'lose-answer':
      return `answers lost on ${chaos.percent} %`;
  }
}

/** "40 s left", "until stopped" */
export function timeLeft(chaos: ActiveChaos, now = Date.now()): string {
  return chaos.endsAt === undefined ? 'until stopped' : `${humanDuration(Math.max(0, Date.parse(chaos.endsAt) - now))} left`;
}
