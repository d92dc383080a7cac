// Lab 07: how orders calls the services it depends on, so that a slow or failing one can't take orders down with it.
//  - every try has a timeout: a hung dependency costs a caller seconds, never forever;
//  - a try that failed is repeated (with exponential backoff and jitter) only when repeating it is safe: a GET, or a
//    POST that carries an idempotency key the other side honours;
//  - a circuit breaker per dependency: after repeated failures, stop calling for a while and answer with the fallback
//    at once (the dependency gets room to recover), then let one trial call through (half-open) and close on success.
// cockatiel 3 (Node ≥ 16); cockatiel 4 wants Node ≥ 22 and the shop runs on node:20.
import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  isBrokenCircuitError,
  noop,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { log } from './observability.js';

/** A dependency answered with a status that means "failed, try again later" (5xx, 429). */
export class UpstreamError extends Error {
  constructor(readonly status: number, what: string) {
    super(`${what} answered ${status}`);
  }
}

export interface CallSettings {
  /** what it is called in messages, e.g. "payment" */
  name: string;
  /** one try's time limit */
  timeoutMs: number;
  /** how many times a failed try is repeated (0: never) */
  retries: number;
  /** the breaker opens after this many failed tries in a row… */
  breakAfter: number;
  /** …and lets a trial call through after this long */
  halfOpenAfterMs: number;
}

/** Failures worth another try, and that count against the breaker: no answer (network, timeout) or a 5xx/429. */
const transient = handleWhen((error) => !isBrokenCircuitError(error) && (!(error instanceof UpstreamError) || error.status >= 500 || error.status === 429));

export class Dependency {
  readonly breaker;
  private readonly perTry: IPolicy;
  private readonly retrying: IPolicy;

  constructor(readonly settings: CallSettings) {
    this.breaker = circuitBreaker(transient, { halfOpenAfter: settings.halfOpenAfterMs, breaker: new ConsecutiveBreaker(settings.breakAfter) });
    // Lab 08: a JSON line like every other (it is written while a request is served, so it carries its id).
    this.breaker.onStateChange((state) => log().warn(`${settings.name}: circuit ${['closed', 'open', 'half-open', 'isolated'][state]}`));
    // Cooperative: the try's fetch gets the signal and is aborted (its connection freed) when time is up.
    this.perTry = wrap(this.breaker, timeout(settings.timeoutMs, TimeoutStrategy.Cooperative));
    // Decorrelated jitter (cockatiel's default generator): two callers that failed together don't retry together.
    this.retrying = retry(transient, { maxAttempts: settings.retries, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) });
  }

  /**
   * Calls the dependency: `request` gets the signal to pass to fetch. `repeatable` says whether a failed try may be
   * sent again — true for a GET or a POST with an idempotency key, never for a POST without one. An answer with status
   * ≥ 500 or 429 is a failed try; any other is returned, its body read within the try's time limit.
   */
  async call(repeatable: boolean, request: (signal: AbortSignal) => Promise<Response>): Promise<{ status: number; body: unknown }> {
    const policy = repeatable ? wrap(this.retrying, this.perTry) : wrap(noop, this.perTry);
    return policy.execute(async ({ signal }) => {
      const answer = await request(signal);
      if (answer.status >= 500 || answer.status === 429) {
        await answer.body?.cancel();
        throw new UpstreamError(answer.status, this.settings.name);
      }
      const text = await answer.text();
      return { status: answer.status, body: parseJson(text) };
    });
  }
}

/** Why a call failed, in words for the caller's answer and the log. */
export function describeFailure(error: unknown, settings: CallSettings): string {
  if (isBrokenCircuitError(error)) return `${settings.name} is failing; its circuit is open, so it was not called (trying again in under ${settings.halfOpenAfterMs / 1000} s)`;
  if (error instanceof Error && ['AbortError', 'TimeoutError', 'TaskCancelledError'].includes(error.name)) return `${settings.name} gave no answer within ${settings.timeoutMs} ms`;
  if (error instanceof UpstreamError) return error.message;
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${settings.name} could not be reached: ${error instanceof Error ? error.message : String(error)}${cause}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text || undefined;
  }
}

/** A whole number of milliseconds from the environment (compose.yaml), or the default. */
export function millis(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name} must be a whole number of milliseconds above 0 (got "${process.env[name]}")`);
    process.exit(1);
  }
  return value;
}
