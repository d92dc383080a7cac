import { STATUS_CODES } from 'node:http';
import { parseDuration } from '../compose/duration.js';
import { UserError } from '../control-plane/user-error.js';

/** What `tall chaos kill|latency|abort|lose-answer` asks the control plane for (durations in ms; no `forMs`: until stopped). */
export type ChaosRequest =
  | { kind: 'kill'; service: string; everyMs?: number; forMs?: number }
  | { kind: 'latency'; service: string; delayMs: number; percent: number; forMs?: number }
  | { kind: 'abort'; service: string; status: number; percent: number; forMs?: number }
  | { kind: 'lose-answer'; service: string; percent: number; forMs?: number };

/** One chaos the control plane runs: a kill schedule or a fault, with when it ends and (listed) how long is left. */
export type ActiveChaos = ChaosRequest & { startedAt: string; endsAt?: string; leftMs?: number; kills?: number };

/** A kill every few hundred milliseconds would only measure the restart backoff; one a second is plenty for a drill. */
const MIN_EVERY_MS = 1000;
/** A longer delay only holds connections: every caller has given up long before. */
const MAX_DELAY_MS = 60_000;

/** "10s", "1m30s", "500ms" → ms; an error naming the option otherwise (never 0 or less). */
export function durationArgument(text: string, what: string): number {
  let ms: number;
  try {
    ms = parseDuration(text, NaN);
  } catch (error) {
    throw new UserError(`${what}: ${(error as Error).message}`);
  }
  if (!(ms > 0)) throw new UserError(`${what}: "${text}" is not a duration (examples: 500ms, 10s, 1m30s)`);
  return ms;
}

export function percentArgument(text: string): number {
  const percent = Number(text.replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw new UserError(`--percent: "${text}" is not a share of requests; use a number above 0 and up to 100, e.g. 50`);
  }
  return percent;
}

export function statusArgument(text: string): number {
  const status = Number(text);
  if (!/^\d{3}$/.test(text) || status < 400 || status > 599) {
    throw new UserError(`"${text}" is not an error status; use an HTTP status from 400 to 599, e.g. 503 (${STATUS_CODES[503]}) or 500`);
  }
  return status;
}

/** The same limits for a request that reaches the API without the CLI's parsing. */
export function checkChaosRequest(request: ChaosRequest): ChaosRequest {
  const positive = (value: number | undefined, what: string) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new UserError(`${what} must be a duration above 0`);
  };
  if (!['kill', 'latency', 'abort', 'lose-answer'].includes(request.kind)) throw new UserError(`no chaos of kind "${request.kind}"; kill, latency, abort or lose-answer`);
  positive(request.forMs, '--for');
  if (request.kind === 'kill') {
    positive(request.everyMs, '--every');
    if (request.everyMs !== undefined && request.everyMs < MIN_EVERY_MS) throw new UserError(`--every must be at least ${MIN_EVERY_MS / 1000} s: each kill needs time to be seen`);
    if (request.forMs !== undefined && request.everyMs === undefined) throw new UserError('--for needs --every: a single kill has no duration', `e.g. npx tall chaos kill ${request.service} --every 10s --for 1m`);
    return request;
  }
  percentArgument(String(request.percent));
  if (request.kind === 'latency') {
    positive(request.delayMs, 'the delay');
    if (request.delayMs > MAX_DELAY_MS) throw new UserError(`a delay of at most ${MAX_DELAY_MS / 1000} s: callers give up long before`);
  } else if (request.kind === 'abort') {
    statusArgument(String(request.status));
  }
  return request;
}
