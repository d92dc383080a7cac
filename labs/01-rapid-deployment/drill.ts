// Lab 01 · the stop drill: one instance is told to stop (SIGTERM) with a request in flight, and everything it does is
// watched from outside — whether the request completes, whether it stops taking new work, whether and how it exits.
//
// The request in flight is a real one (an order, a payment, a notification) whose body arrives slowly, over a time the
// check picks at random each run: no fixed delay in a service can match it. It is sent straight to the instance's
// address on a keep-alive connection, as the router sends requests, and the connection stays open afterwards, as the
// router's does. "Expect: 100-continue" lets the check know the instance has taken the request (Node answers
// "100 Continue" once it has read the headers) before it sends the signal.
import { connect, type Socket } from 'node:net';
import { brief, type CheckContext, type EnvironmentHandle, type HttpAnswer, type InstanceInfo } from '../../platform/src/labs/check-api.js';

/** One HTTP answer read off a raw connection. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** when it was complete (Date.now()) */
  at: number;
}

/**
 * A single HTTP/1.1 connection the check writes to by hand (so it can send a body slowly and pipeline a second request
 * behind the first) and reads answers from, in order. 1xx answers are noted, not counted as answers.
 */
class RawConnection {
  readonly answers: RawAnswer[] = [];
  continued = false;
  closedAt?: number;
  error?: string;
  private buffer = Buffer.alloc(0);
  private readonly socket: Socket;
  private readonly waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
      this.wake();
    });
    const closed = () => {
      this.closedAt ??= Date.now();
      this.parse(true);
      this.wake();
    };
    socket.on('end', closed);
    socket.on('close', closed);
    socket.on('error', (error: Error & { code?: string }) => {
      this.error ??= error.code ?? error.message;
      closed();
    });
  }

  static open(host: string, port: number, timeoutMs: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConnection(socket));
      });
      socket.once('error', (error: Error & { code?: string }) => {
        clearTimeout(timer);
        reject(new Error(error.code ?? error.message));
      });
    });
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  write(text: string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(text);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves when `done()` is true, the connection closed, or `ms` passed. */
  until(done: () => boolean, ms: number, abortSignal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        abortSignal.removeEventListener('abort', finish);
        resolve();
      };
      const check = () => {
        if (done() || this.closed) finish();
      };
      const timer = setTimeout(finish, ms);
      abortSignal.addEventListener('abort', finish, { once: true });
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Takes every complete answer off the buffer; at the end of the stream, a close-delimited body too. */
  private parse(ended = false): void {
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? NaN);
      if (!Number.isFinite(status)) {
        this.error ??= `not an HTTP answer: ${brief(head[0] ?? '', 60)}`;
        this.buffer = Buffer.alloc(0);
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rest = this.buffer.subarray(headEnd + 4);
      if (status >= 100 && status < 200) {
        this.continued = true;
        this.buffer = rest;
        continue;
      }
      let body: Buffer;
      let used: number;
      if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
        const decoded = dechunk(rest);
        if (!decoded) return;
        [body, used] = decoded;
      } else if (headers['content-length'] !== undefined) {
        const length = Number(headers['content-length']);
        if (rest.length < length) return;
        body = rest.subarray(0, length);
        used = length;
      } else if (status === 204 || status === 304) {
        body = Buffer.alloc(0);
        used = 0;
      } else {
        if (!ended) return;
        body = rest;
        used = rest.length;
      }
      this.answers.push({ status, headers, body: body.toString('utf8'), at: Date.now() });
      this.buffer = rest.subarray(used);
    }
  }
}

function dechunk(data: Buffer): [Buffer, number] | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    const start = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = data.indexOf('\r\n', start);
      if (trailerEnd < 0) return undefined;
      return [Buffer.concat(parts), trailerEnd + 2];
    }
    if (data.length < start + size + 2) return undefined;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

export interface DrillRequest {
  /** e.g. "POST /orders" */
  method: 'POST' | 'PUT';
  path: string;
  /** a JSON object; its closing brace arrives last, after the slow part */
  body: Record<string, unknown>;
  /** more request headers, e.g. authorization */
  headers?: Record<string, string>;
}

export interface DrillOptions {
  service: string;
  request: DrillRequest;
  /** how long the body takes to arrive after the signal (ms): picked at random by the caller */
  slowMs: number;
  /** how long the request may take once its body is complete (ms), on top of slowMs */
  workMs: number;
  /** send GET /ready on the same connection right behind the request (pipelined) */
  pipelineReady: boolean;
  /** how long to wait for the instance to exit after its last answer, before giving up (ms) */
  exitWaitMs: number;
}

export interface ReadyObservation {
  /** "refused" (no answer at all: refused, reset, closed) or the status it answered */
  what: string;
  /** ms after the signal when it was sent, and when its answer (or failure) came */
  sentAfterMs: number;
  afterMs: number;
}

export interface DrillResult {
  instance: InstanceInfo;
  /** Date.now() just before the signal was sent */
  signalAt: number;
  /** did Node say "100 Continue" (the instance had read the request's headers) before the signal */
  taken: boolean;
  /** the in-flight request's answer, or why there was none */
  answer?: RawAnswer;
  answerProblem?: string;
  /** GET /ready pipelined behind it: its answer, or 'no answer' (the instance closed the connection first) */
  pipelined?: RawAnswer | 'no answer';
  /** every GET /ready on a new connection while the request was in flight, until the first that was not a 2xx/3xx */
  freshReady: ReadyObservation[];
  /** the first fresh GET /ready that was refused or not a 2xx/3xx, if any came before the in-flight answer */
  stoppedTakingWork?: ReadyObservation;
  /** when the last answer on the connection arrived */
  lastAnswerAt?: number;
  /** how the instance ended, if it did within the wait */
  exit?: { code: number | null; signal: string | null; reason?: string; at: number };
}

/** The check asks /ready as the platform's own readiness probe does, so a service cannot answer the two differently. */
const PROBE_AGENT = 'tall-readiness-probe';

const isReadyStatus = (status: number) => status >= 200 && status < 400;

async function readyInstance(ctx: CheckContext, env: EnvironmentHandle, service: string, timeoutMs: number): Promise<InstanceInfo> {
  return ctx.waitFor(`a running, ready instance of ${service}`, async () => (await env.instances(service)).find((instance) => instance.state === 'running' && instance.ready), timeoutMs);
}

/**
 * A GET straight to an instance: its answer, "refused" when the connection is refused, reset or closed without an
 * answer, or "slow" when no answer came in time (a busy machine: that says nothing either way).
 */
async function freshGet(env: EnvironmentHandle, address: string, path: string): Promise<'refused' | 'slow' | HttpAnswer> {
  try {
    return await env.http.get(`http://${address}${path}`, { timeoutMs: 2000, headers: { 'user-agent': PROBE_AGENT } });
  } catch (error) {
    return /no answer within/.test((error as Error).message) ? 'slow' : 'refused';
  }
}

/**
 * Runs the drill on the first ready instance of `service` in `env` and reports what it saw; the caller judges. Afterwards
 * it waits (without judging) for the platform to have the service ready again, so later checks find it as it was.
 */
export async function stopDrill(ctx: CheckContext, env: EnvironmentHandle, options: DrillOptions): Promise<DrillResult> {
  const instance = await readyInstance(ctx, env, options.service, ctx.runtime === 'docker' ? 90_000 : 30_000);
  const [host, portText] = splitAddress(instance.address);
  const connection = await RawConnection.open(host, Number(portText), 5000);
  try {
    const json = JSON.stringify(options.request.body);
    const ticks = Math.max(1, Math.ceil(options.slowMs / 100));
    // The body is the JSON object with its closing brace held back: spaces (JSON whitespace) drip in before it.
    const head = json.slice(0, -1);
    const length = Buffer.byteLength(head) + ticks + 1;
    connection.write(
      `${options.request.method} ${options.request.path} HTTP/1.1\r\nHost: ${instance.address}\r\nContent-Type: application/json\r\n` +
        Object.entries(options.request.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('') +
        `Content-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await connection.until(() => connection.continued || connection.answers.length > 0, 10_000, ctx.abortSignal);
    const taken = connection.continued && connection.answers.length === 0;
    if (!taken) {
      const early = connection.answers[0];
      return {
        instance,
        signalAt: Date.now(),
        taken,
        answerProblem: early
          ? `${options.request.method} ${options.request.path} answered ${early.status} ${brief(early.body, 100)} before its body was sent`
          : `${options.request.method} ${options.request.path} got no "100 Continue" within 10 s (${connection.error ?? (connection.closed ? 'the connection was closed' : 'no answer')})`,
        freshReady: [],
      };
    }
    connection.write(head);

    const signalAt = Date.now();
    await env.signal(instance, 'SIGTERM');
    const bodyDone = signalAt + options.slowMs;

    // The rest of the body, one space every 100 ms by the clock (a busy machine doesn't stretch it), then the brace and,
    // if asked, GET /ready pipelined behind it on the same connection.
    const drip = (async () => {
      for (let sent = 0; sent < ticks; sent++) {
        const due = signalAt + ((sent + 1) * options.slowMs) / ticks;
        const wait = due - Date.now();
        if (wait > 0) await ctx.sleep(wait);
        connection.write(' ');
      }
      connection.write('}');
      if (options.pipelineReady) connection.write(`GET /ready HTTP/1.1\r\nHost: ${instance.address}\r\nUser-Agent: ${PROBE_AGENT}\r\n\r\n`);
    })();

    // Meanwhile: new connections to the instance, as a router or a new client would make them.
    const freshReady: ReadyObservation[] = [];
    let stoppedTakingWork: ReadyObservation | undefined;
    let gaveUp = false;
    const probing = (async () => {
      while (!gaveUp && !ctx.abortSignal.aborted && connection.answers.length === 0 && !connection.closed) {
        const sentAfterMs = Date.now() - signalAt;
        const seen = await freshGet(env, instance.address, '/ready');
        if (connection.answers.length > 0 || ctx.abortSignal.aborted) break;
        const observation = { what: typeof seen === 'string' ? seen : String(seen.status), sentAfterMs, afterMs: Date.now() - signalAt };
        freshReady.push(observation);
        if (seen === 'refused' || (typeof seen !== 'string' && !isReadyStatus(seen.status))) {
          stoppedTakingWork = observation;
          break;
        }
        await ctx.sleep(100);
      }
    })();

    await drip;
    const wanted = options.pipelineReady ? 2 : 1;
    await connection.until(() => connection.answers.length >= 1, Math.max(0, bodyDone - Date.now()) + options.workMs, ctx.abortSignal);
    gaveUp = true;
    await probing;
    const answer = connection.answers[0];
    if (answer && wanted === 2) await connection.until(() => connection.answers.length >= 2, 5000, ctx.abortSignal);
    const result: DrillResult = { instance, signalAt, taken, answer, freshReady, stoppedTakingWork };
    if (!answer) {
      result.answerProblem = connection.closed
        ? `the connection was ${connection.error === 'ECONNRESET' ? 'reset' : 'closed'} ${((connection.closedAt! - signalAt) / 1000).toFixed(1)} s after SIGTERM, with no answer`
        : `no answer within ${((Date.now() - signalAt) / 1000).toFixed(1)} s of SIGTERM`;
    }
    if (options.pipelineReady && answer) result.pipelined = connection.answers[1] ?? 'no answer';
    result.lastAnswerAt = connection.answers.at(-1)?.at;

    // How it ends: the platform records the exit (code, or the signal that ended it) when it happens.
    const from = result.lastAnswerAt ?? Date.now();
    const ended = await ctx
      .waitFor(`${instance.id} to exit`, async () => {
        const now = (await env.instances(options.service)).find((candidate) => candidate.id === instance.id);
        return now?.lastExit && Date.parse(now.lastExit.at) >= signalAt - 50 ? now.lastExit : undefined;
      }, Math.max(0, from + options.exitWaitMs - Date.now()))
      .catch(() => undefined);
    if (ended) result.exit = { code: ended.code, signal: ended.signal, reason: ended.reason, at: Date.parse(ended.at) };
    return result;
  } finally {
    connection.destroy();
  }
}

/** After a drill: wait until the platform has the service ready again (a restarted instance), so later checks find it as it was. */
export async function settle(ctx: CheckContext, env: EnvironmentHandle, service: string, timeoutMs: number): Promise<boolean> {
  try {
    await ctx.waitFor(`${service} ready again`, async () => {
      const instances = await env.instances(service);
      return instances.length > 0 && instances.every((instance) => instance.state === 'running' && instance.ready);
    }, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

function splitAddress(address: string): [string, string] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon).replace(/^\[|\]$/g, ''), address.slice(colon + 1)];
}

/** "refused after 0.1 s", "503 after 0.2 s" */
export function describeObservation(observation: ReadyObservation): string {
  return `${observation.what === 'refused' ? 'refused' : `answered ${observation.what}`} ${(observation.afterMs / 1000).toFixed(1)} s after SIGTERM`;
}

/** "exited with code 0", "ended by SIGTERM", "killed by SIGKILL" */
export function describeExit(exit: NonNullable<DrillResult['exit']>): string {
  if (exit.reason) return `was stopped (${exit.reason})`;
  if (exit.signal) return exit.signal === 'SIGTERM' ? 'ended by SIGTERM' : `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

/** Exit code 0, or its own SIGTERM re-raised after draining: both are a clean stop. Anything else is not. */
export function cleanExit(exit: NonNullable<DrillResult['exit']>): boolean {
  return !exit.reason && ((exit.code === 0 && !exit.signal) || exit.signal === 'SIGTERM');
}
