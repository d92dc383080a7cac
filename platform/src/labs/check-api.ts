/**
 * The API for lab authors: a lab's checks.ts imports only this file.
 *
 *   import { defineChecks, fail } from '../../platform/src/labs/check-api.js';
 *   export default defineChecks({
 *     checks: [
 *       {
 *         name: 'health-endpoints',                     // kebab-case, unique in the lab
 *         title: 'every service answers GET /health',   // what the learner reads next to ✔ / ✘
 *         points: 2,                                    // what it is worth when graded
 *         timeout: '10s',                               // its time limit (default: labs/manifest.yaml, defaults.check_timeout)
 *         hints: ['first hint', 'a more precise one'],  // revealed one at a time by `tall hint`
 *         async run(ctx) {
 *           const answer = await ctx.http.get('/catalog/health');
 *           if (answer.status !== 200) fail(`GET /catalog/health answered ${answer.status}; expected 200`);
 *         },
 *       },
 *     ],
 *   });
 *
 * A check passes when run() resolves and fails when it throws: `fail(message)` for a verdict the learner reads
 * ("expected …, saw …"), any other error is reported as a crash of the check. Each check runs against a throwaway copy of
 * the learner's shop on free ports, never against their own running platform.
 */
import type { ServiceSpec } from '../compose/model.js';
import type { InstanceView } from '../control-plane/instance.js';
import type { LoadOptions, LoadSummary } from '../load/run-load.js';

/** A free port on 127.0.0.1, from the OS: for something a check starts beside the shop (a gateway, a stand-in). */
export { freePort } from '../util/ports.js';

/** One service as the platform reads it from the compose file (interpolated, defaults filled in). */
export type ComposeService = ServiceSpec;

export type RuntimeKind = 'process' | 'docker';

export interface Check {
  /** kebab-case id, unique in the lab: progress and grading use it */
  name: string;
  /** one line, what the check proves, e.g. "every service answers GET /health" */
  title: string;
  /** what it is worth when graded (whole number ≥ 0) */
  points: number;
  /** its time limit, a duration ("10s", "1m"); running out of time is a failure with a reason. Default: the manifest's */
  timeout?: string;
  /**
   * The check itself makes requests fail (it kills, stops or signals instances): the router's retries, hedges and
   * failures during it are expected. Otherwise any of them fails the check — a service that broke requests and had the
   * router retry them elsewhere must not pass.
   */
  allowRouterFaults?: boolean;
  /** progressive hints for `tall hint`: the first is gentle, the last nearly gives it away */
  hints?: string[];
  run(ctx: CheckContext): Promise<void | string>;
}

/** An extra environment a lab needs: started before the checks, beside the main throwaway platform. */
export interface EnvironmentRequest {
  /**
   * Its name on the platform (what `tall up --env <name>` takes, and TALL_ENV inside it), e.g. "staging" to start it as
   * the learner would. Default: a neutral random name, so nothing tells a service which check it is in.
   */
  name?: string;
  /** a variant of the compose file (the copy's compose.yaml stays as the learner wrote it) */
  compose?: (document: ComposeDocument) => void;
  /** only these services (others are dropped, and dependencies on them too) */
  only?: string[];
  /** variables for ${VAR} interpolation, as if set in the shell */
  variables?: Record<string, string>;
  /**
   * whose configuration file (services/environments/<config>.env) to start with, e.g. "default" for a second
   * deployment of the default environment's configuration. Default: the file of \`name\`, if it is given and has one.
   */
  config?: string;
  /** the lab expects this environment to refuse to start (e.g. a service missing a setting): not shown as a problem */
  expectStartFailure?: boolean;
  /**
   * The environment runs from a copy of services/ of its own in the slot (the variant of `compose`/`only` written into
   * it), which the checks may change with `writeFile()` / `editCompose()` — e.g. a new version for `tall deploy` to put
   * into service. The checked folder is never written; the copy is made afresh for each run of the lab.
   */
  writable?: boolean;
}

export interface LabChecks {
  /** environments to start before the checks run, in parallel with the main one: checks get them with ctx.environment(name) */
  environments?: Record<string, EnvironmentRequest>;
  checks: Check[];
}

/** The compose file as a plain, editable object (anchors and `<<:` merges expanded, ${VAR} not yet interpolated). */
export type ComposeDocument = {
  name?: string;
  services: Record<string, Record<string, unknown> & { environment?: Record<string, string | number | boolean | null> | string[] }>;
  [key: string]: unknown;
};

export interface HttpAnswer {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  text: string;
  /** the body parsed as JSON, or undefined when it is not JSON */
  json: unknown;
  /** the router's x-instance header: which instance answered, e.g. "catalog/2" */
  instance?: string;
  ms: number;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** JSON body (sets content-type) */
  body?: unknown;
  /** default 5 s; never longer than what is left of the check's time */
  timeoutMs?: number;
}

/**
 * HTTP to one environment's router. A path ("/catalog/health") is relative to the router; a full URL is used as is.
 * A request that gets no answer at all (refused, reset, timed out) throws a failure that says so.
 */
export interface Http {
  readonly baseUrl: string;
  get(path: string, options?: RequestOptions): Promise<HttpAnswer>;
  post(path: string, body?: unknown, options?: RequestOptions): Promise<HttpAnswer>;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
}

/** How ctx.load() sends its load: `rps` requests a second over all connections for `durationMs` (whole seconds). */
export type LoadRequest = Omit<LoadOptions, 'onProgress' | 'signal'>;

/** What ctx.load() (and `tall load --json`) saw: ok, errors by status, connection errors, timeouts, p50/p95/p99. */
export type { LoadSummary };

export interface TallRun {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** One instance as `tall ps --json` lists it. */
export type InstanceInfo = InstanceView;

export interface ServiceInfo {
  name: string;
  route: string | false;
  balance: string;
  desired: number;
  ready: number;
}

/** How ctx.run() runs a program. */
export interface CommandOptions {
  /** the folder it runs in (default: the checked services/ folder; a copy from ctx.copyServices() when it writes) */
  cwd?: string;
  /** variables over the check's own environment; `undefined` removes one (e.g. `{ DATABASE_URL: undefined }`) */
  env?: Record<string, string | undefined>;
  /** its time limit (default 60 s): then SIGTERM to its process group, SIGKILL 5 s later. The check's own limit stops it too */
  timeoutMs?: number;
  /** how much of stdout and of stderr is kept, each: the last bytes (default 64 KiB) */
  maxOutputBytes?: number;
  /** stops it early, as the time limit would, when this fires: for a program that runs until told (`docker events`) */
  stop?: AbortSignal;
}

/** What a program run by ctx.run() did. */
export interface CommandRun {
  /** the command line, for messages */
  command: string;
  /** its exit code; null when it was killed by a signal or could not be run (stderr says why) */
  code: number | null;
  signal: string | null;
  /** the end of its output (starting with "…" when the beginning was dropped) */
  stdout: string;
  stderr: string;
  /** it ran out of its time limit and was stopped */
  timedOut: boolean;
  /** some output was dropped */
  truncated: boolean;
  ms: number;
}

export interface StartFailure {
  service?: string;
  instance?: string;
  reason: string;
  logTail: string[];
}

/** One running environment of the throwaway copy: the main one ("default") or one a lab asked for. */
export interface EnvironmentHandle {
  name: string;
  /** false when `tall up` failed: see `failure` (a lab may expect that, e.g. a service refusing to start without config) */
  started: boolean;
  failure?: StartFailure;
  routerUrl: string;
  http: Http;
  /** runs `tall <args> --env <name>` against this environment */
  tall(args: string[]): Promise<TallRun>;
  /** runs `tall <args> --env <name> --json` and parses the output; a non-zero exit is a failure naming the command */
  tallJson<T = unknown>(args: string[]): Promise<T>;
  /** `tall ps --json`: the instances, optionally of one service */
  instances(service?: string): Promise<InstanceInfo[]>;
  services(): Promise<ServiceInfo[]>;
  /** the environment's services as the platform reads them from its compose file (interpolated) */
  compose(): ComposeService[];
  /** sends a signal to one instance (a process, or a container under docker), like `kill -TERM <pid>` / `docker kill -s TERM` */
  signal(instance: InstanceInfo, signal: NodeJS.Signals): Promise<void>;
  /** the last log lines of one instance or service ("payment/1", "payment") */
  logs(source: string, lines?: number): Promise<string[]>;
  /**
   * Runs one SQL statement in a data-service instance of this environment (a name `tall services` lists), logged in as
   * the instance's own user, as an operator with psql would: for checks that look at or change the data from outside
   * the services (insert a row a service must then serve, break a table a restore must bring back). Returns the rows.
   * The password is never shown: a failure names the instance and PostgreSQL's message.
   */
  sql<Row = Record<string, unknown>>(instance: string, statement: string, values?: unknown[]): Promise<Row[]>;
  /**
   * Load through this environment's router, with the engine of `tall load` (autocannon at a fixed overall rate), e.g.
   * `await ctx.load('/catalog/products', { rps: 50, durationMs: 5000 })`: every answer's status and latency counted,
   * errors included. Never rejects for failed requests (they are in the summary); stops early when the check runs out
   * of time.
   */
  load(path: string, options: LoadRequest): Promise<LoadSummary>;
  /**
   * Writes a file of this environment's own copy of services/ (`writable: true` only; a failure otherwise): what the
   * next `tall deploy` of that service builds and runs. Stays for the checks after this one.
   */
  writeFile(relativePath: string, text: string): void;
  /**
   * Changes this environment's compose file (`writable: true` only), e.g. a new APP_VERSION for a service, then
   * `tall deploy <service>`: `change` gets the file as an editable object (anchors and merges expanded, ${VAR} as written).
   */
  editCompose(change: (document: ComposeDocument) => void): void;
}

export interface CheckContext extends EnvironmentHandle {
  runtime: RuntimeKind;
  /** the copy of the learner's services/ being checked (read only) */
  servicesDir: string;
  /** aborted when the check runs out of time */
  abortSignal: AbortSignal;
  /** compose.yaml as written, uninterpolated (to see which ${VARIABLES} it uses) */
  composeDocument(): ComposeDocument;
  /** a file of the checked services/ copy, or undefined when it does not exist */
  readFile(relativePath: string): string | undefined;
  /**
   * A fresh, writable copy of the checked services/ folder (its files; node_modules linked, not copied), inside the
   * check's workspace so the kit's packages resolve from it as from services/. Change it freely (e.g. break a query
   * on purpose): the learner's folder is never touched. Removed when the check ends.
   */
  copyServices(): string;
  /**
   * Runs a program (no shell) with a time limit and bounded output, in its own process group (what it starts is stopped
   * with it). For the learner's own programs (their tests): untrusted, so never without a limit. Never rejects: a
   * non-zero exit, a time-out or a missing program is in the result.
   */
  run(command: string, args: string[], options?: CommandOptions): Promise<CommandRun>;
  /** an environment declared in the lab's `environments` (started before the checks) */
  environment(name: string): EnvironmentHandle;
  /** a line kept with the result (shown by `tall check --verbose` and in --json) */
  note(line: string): void;
  sleep(ms: number): Promise<void>;
  /**
   * Runs `work` while no other check on this machine runs work of the same name: for what one check's run could see or
   * disturb of another's (containers Testcontainers starts, which a check counts and removes), when fakes, variants or
   * a class's students are checked side by side. Waiting is noted.
   */
  exclusive<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** polls `probe` until it returns something other than undefined/false; fails naming `what` when time runs out */
  waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs?: number): Promise<T>;
}

/** A verdict for the learner: what was expected and what was seen. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

export function fail(message: string): never {
  throw new CheckFailed(message);
}

const CHECK_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A lab's checks, each the one place its name, points and time limit are written. */
export function defineChecks(definition: LabChecks | Check[]): LabChecks {
  const lab = Array.isArray(definition) ? { checks: definition } : definition;
  const names = new Set<string>();
  for (const check of lab.checks) {
    if (!CHECK_NAME.test(check.name)) throw new Error(`check name "${check.name}" must be kebab-case`);
    if (names.has(check.name)) throw new Error(`two checks are named "${check.name}"`);
    if (!Number.isInteger(check.points) || check.points < 0) throw new Error(`check "${check.name}": points must be a whole number ≥ 0`);
    names.add(check.name);
  }
  return lab;
}

/** Short text for messages: JSON on one line, whitespace collapsed, cut at `max` characters. */
export function brief(value: unknown, max = 160): string {
  const raw = typeof value === 'string' ? value : JSON.stringify(value);
  if (raw === undefined) return String(value);
  const text = raw.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** "404 (Cannot GET /health)", "502 {"error":"…"}": an answer as a learner wants to read it in a message. */
export function describeAnswer(answer: HttpAnswer, max = 100): string {
  const page = /<pre>([^<]*)<\/pre>/.exec(answer.text)?.[1];
  if (page) return `${answer.status} (${page.trim()})`;
  if (/^\s*</.test(answer.text)) return `${answer.status} (an HTML page)`;
  return answer.text ? `${answer.status} ${brief(answer.text, max)}` : String(answer.status);
}

/**
 * Runs `check` for each item and fails with every problem found, grouping the same problem for several items:
 * "catalog, payment: GET /<service>/health answered 404 (Cannot GET /health); expected 200".
 * In a problem, write the item's name as it is; it is replaced by <service> (or `placeholder`) when grouped.
 */
export async function forEach(items: string[], check: (item: string) => Promise<string | undefined>, placeholder = '<service>'): Promise<void> {
  const groups = new Map<string, string[]>();
  for (const item of items) {
    const problem = await check(item);
    if (!problem) continue;
    const template = problem.split(item).join(placeholder);
    groups.set(template, [...(groups.get(template) ?? []), item]);
  }
  if (groups.size === 0) return;
  fail([...groups].map(([template, names]) => (names.length === 1 ? template.split(placeholder).join(names[0]!) : `${names.join(', ')}: ${template}`)).join('\n'));
}

/**
 * ctx.exclusive's name for a learner's test run that may start containers with Testcontainers: one check watches for
 * such containers (and removes them), so no other check's must start meanwhile.
 */
export const TESTCONTAINERS = 'testcontainers';
