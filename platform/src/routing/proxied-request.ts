import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Endpoint, ServicePool } from './balancer.js';
import { requestHeadersFor, responseHeadersFor } from './forwarded-headers.js';
import { classifyFailure, hasBody, isIdempotent, MAX_ATTEMPTS, mayTryElsewhere, type GatewayFailure } from './retry-policy.js';
import type { RouteSettings } from './route-settings.js';
import type { UpstreamPools } from './upstream-pools.js';

/** What one proxied request tells the router about the instances it tried. */
export interface AttemptReport {
  notice(kind: 'retry' | 'hedge' | 'failed' | 'timeout' | 'no-instance', detail: string, instance?: string): void;
  succeeded(endpoint: Endpoint): void;
  /** the instance gave no answer (refused, reset, timed out, or lost a hedge it had made necessary) */
  failed(endpoint: Endpoint, failure: GatewayFailure | 'hedged'): void;
}

export interface ProxyTarget {
  route: string;
  pool: ServicePool;
  settings: RouteSettings;
  /** the path to send upstream (the route prefix stripped) */
  path: string;
  /** the stripped prefix, for x-forwarded-prefix */
  prefix: string;
  /** the request body, when it was kept so the request can be replayed elsewhere */
  body?: Buffer;
  /** the id that follows the request through every service (x-request-id) */
  requestId: string;
  /** called once the answer is over (or the caller left: status 499; an answer lost on purpose: 444), with who answered */
  onDone?: (status: number, instance: string | undefined) => void;
}

interface Attempt {
  endpoint: Endpoint;
  upstream: TryHandler;
  /** this try was made because the first was slow */
  hedge: boolean;
  /** set when the router abandoned this try itself (another answered first, or the caller left) */
  abandoned?: 'lost-race' | 'caller-left';
  /** no answer within the hedge time made another try necessary */
  overdue?: boolean;
}

/** The reason undici is given when the router gives up a try itself (a race lost, the caller gone). */
class TryCancelled extends Error {
  constructor() {
    super('the router gave this try up');
  }
}

/**
 * One try's exchange with an instance through undici's dispatch(), the API its own proxy is built on: the answer goes
 * straight into the caller's response (paused while the caller reads slower than the instance writes), with no
 * stream wrapped around it and nothing allocated per request beyond this object.
 */
class TryHandler implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController;
  private cancelled = false;
  /** the caller's response, once this try won; until then (or when it lost) its answer is dropped */
  private sink?: ServerResponse;

  constructor(private readonly owner: ProxiedRequest, private readonly attempt: Attempt) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    // Not yet on a connection: it is given up as soon as it gets one.
    if (this.controller && !this.controller.aborted) this.controller.abort(new TryCancelled());
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.cancelled) controller.abort(new TryCancelled());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx: the real answer comes after
    this.sink = this.owner.answered(this.attempt, statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const sink = this.sink;
    if (!sink || sink.destroyed) return;
    if (!sink.write(chunk)) {
      controller.pause();
      sink.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.sink && !this.sink.destroyed) this.sink.end();
    this.owner.finished(this.attempt, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.owner.finished(this.attempt, error);
  }
}

/**
 * One request through the router: tries instances until one answers, at most MAX_ATTEMPTS of them.
 *  - A try that fails before any answer is repeated on another instance when that is safe (mayTryElsewhere).
 *  - An idempotent try with no answer after `hedgeAfterMs` is hedged: a second try goes to another instance, the first
 *    answer wins and the other try is cancelled (Envoy's hedge_on_per_try_timeout). A frozen instance then costs a
 *    caller a second, not a failed request.
 *  - When the caller goes away, every try is cancelled and its upstream connection freed.
 *  - No answer in time gives a 504 naming the instance; any other gateway failure a 502.
 */
export class ProxiedRequest {
  private readonly tried = new Set<string>();
  private readonly live = new Set<Attempt>();
  private winner?: Attempt;
  /** the instance an injected abort is answered in the name of */
  private standIn?: string;
  private hedgeTimer?: NodeJS.Timeout;
  private callerLeft = false;
  /** `tall chaos lose-answer`: the instance answers in full, then the caller's connection is broken instead */
  private loseAnswer = false;
  private answerLost = false;
  private readonly idempotent: boolean;
  /** the body streams from the caller, so the request can't be sent twice (known at start: a kept body comes later) */
  private streamsBody = false;

  /** Listens for the end of the answer from the moment the request arrived, even if it is started later. */
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: ProxyTarget,
    private readonly upstreams: UpstreamPools,
    private readonly report: AttemptReport,
  ) {
    this.idempotent = isIdempotent(req.method);
    res.once('close', () => {
      const finished = res.writableFinished;
      // 444: nginx's code for "closed the connection without an answer", as the router does for a lost answer.
      target.onDone?.(finished ? res.statusCode : this.answerLost ? 444 : 499, this.winner?.endpoint.id ?? this.standIn);
      if (finished) return;
      this.callerLeft = true;
      this.cancelAll('caller-left');
    });
  }

  /** `loseAnswer`: an injected lost answer — see answered() and finished(). */
  start(loseAnswer = false): void {
    if (this.callerLeft) return;
    this.loseAnswer = loseAnswer;
    this.streamsBody = this.target.body === undefined && hasBody(this.req);
    if (this.launch(false)) return;
    this.report.notice('no-instance', 'no ready instance');
    sendJson(this.res, 503, {
      error: `no ready instance of service "${this.target.route}"`,
      service: this.target.route,
      fix: `see "npx tall ps" for its instances and "npx tall logs ${this.target.route}" for why they are not ready`,
    });
  }

  /**
   * An injected abort (`tall chaos abort`): answered as an instance of the route failing would answer — its name in
   * x-instance, a plain error body — so nothing tells the caller (a service under a lab's check) that it was injected.
   */
  abort(status: number): void {
    if (this.callerLeft) return;
    this.standIn = this.target.pool.pick()?.id;
    const text = JSON.stringify({ error: STATUS_CODES[status] ?? 'Error' });
    const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) };
    this.res.writeHead(status, this.standIn ? responseHeadersFor(headers, this.standIn) : headers);
    this.res.end(text);
  }

  private get replayable(): boolean {
    return this.idempotent && !this.streamsBody;
  }

  private launch(hedge: boolean): boolean {
    const endpoint = this.target.pool.pick(this.tried);
    if (!endpoint) return false;
    const attempt = { endpoint, hedge } as Attempt;
    attempt.upstream = new TryHandler(this, attempt);
    this.tried.add(endpoint.id);
    this.live.add(attempt);
    this.target.pool.begin(endpoint.id);
    const { timeouts } = this.target.settings;
    if (!hedge && this.replayable && timeouts.hedgeAfterMs !== false && this.tried.size < MAX_ATTEMPTS) {
      this.hedgeTimer = setTimeout(() => this.hedge(attempt), timeouts.hedgeAfterMs);
    }
    this.upstreams.for(endpoint, timeouts.connectMs).dispatch(
      {
        path: this.target.path,
        method: (this.req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: requestHeadersFor(this.req, this.target.prefix, this.target.requestId),
        body: this.target.body ?? (this.streamsBody ? this.req : null),
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.idleMs,
      },
      attempt.upstream,
    );
    return true;
  }

  private hedge(slow: Attempt): void {
    if (this.winner || this.callerLeft || !this.live.has(slow)) return;
    if (this.launch(true)) {
      slow.overdue = true;
      this.report.notice('hedge', `no answer within ${this.target.settings.timeouts.hedgeAfterMs} ms; also sent to another instance`, slow.endpoint.id);
    }
  }

  /** The first answer wins: the caller's response, to write it into; a later one is dropped and its try given up. */
  answered(attempt: Attempt, statusCode: number, headers: Record<string, string | string[] | undefined>): ServerResponse | undefined {
    if (this.winner || this.callerLeft || attempt.abandoned) {
      setImmediate(() => this.cancel(attempt, 'lost-race'));
      return undefined;
    }
    this.winner = attempt;
    clearTimeout(this.hedgeTimer);
    for (const other of this.live) if (other !== attempt) this.cancel(other, 'lost-race');
    // A lost answer: read the instance's answer to its end (it did the work and is none the wiser), pass none of it on.
    if (this.loseAnswer) return undefined;
    this.res.writeHead(statusCode, responseHeadersFor(headers, attempt.endpoint.id));
    return this.res;
  }

  finished(attempt: Attempt, error: Error | null): void {
    this.live.delete(attempt);
    this.target.pool.end(attempt.endpoint.id);
    if (!error) {
      if (attempt !== this.winner) return;
      this.report.succeeded(attempt.endpoint);
      if (this.loseAnswer) {
        // …then break the caller's connection, as a network failure on the way back would: no status, no body.
        this.answerLost = true;
        this.res.destroy();
      }
      return;
    }
    if (attempt.abandoned) {
      if (attempt.abandoned === 'lost-race' && attempt.overdue) this.report.failed(attempt.endpoint, 'hedged');
      return;
    }
    const failure = classifyFailure(error as NodeJS.ErrnoException);
    if (failure !== 'other') this.report.failed(attempt.endpoint, failure);
    if (this.callerLeft) return;
    if (attempt === this.winner) {
      // The answer had begun: the caller gets a cut-off body, the only honest signal left.
      this.report.notice(failure === 'idle-timeout' ? 'timeout' : 'failed', describe(failure, error, this.target.settings), attempt.endpoint.id);
      this.res.destroy();
      return;
    }
    if (this.winner || this.live.size > 0) return; // another try may still answer
    clearTimeout(this.hedgeTimer);
    if (mayTryElsewhere(failure, this.replayable) && this.tried.size < MAX_ATTEMPTS && this.launch(false)) {
      this.report.notice('retry', `${describe(failure, error, this.target.settings)}; trying another instance`, attempt.endpoint.id);
      return;
    }
    const timedOut = failure === 'headers-timeout';
    this.report.notice(timedOut ? 'timeout' : 'failed', describe(failure, error, this.target.settings), attempt.endpoint.id);
    sendJson(this.res, timedOut ? 504 : 502, {
      error: `instance ${attempt.endpoint.id} ${describe(failure, error, this.target.settings)}`,
      service: this.target.route,
      instance: attempt.endpoint.id,
      fix: `see "npx tall logs ${attempt.endpoint.id}" and "npx tall events ${this.target.route}"`,
    });
  }

  private cancelAll(why: 'lost-race' | 'caller-left'): void {
    clearTimeout(this.hedgeTimer);
    for (const attempt of this.live) this.cancel(attempt, why);
  }

  private cancel(attempt: Attempt, why: 'lost-race' | 'caller-left'): void {
    attempt.abandoned ??= why;
    attempt.upstream.cancel();
  }
}

function describe(failure: GatewayFailure, error: Error, settings: RouteSettings): string {
  switch (failure) {
    case 'connect':
      return `refused the connection or did not accept it within ${settings.timeouts.connectMs} ms`;
    case 'reset':
      return 'closed the connection before answering';
    case 'headers-timeout':
      return `gave no answer within ${seconds(settings.timeouts.headersMs)} (the service's headers timeout)`;
    case 'idle-timeout':
      return `stopped sending its answer for ${seconds(settings.timeouts.idleMs)} (the service's idle timeout)`;
    default:
      return `failed: ${error.message}`;
  }
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
