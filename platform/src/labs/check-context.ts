/**
 * What a check gets to work with (the CheckContext of check-api.ts), bound to one throwaway environment and to the
 * check's own time limit: every request, `tall` run and wait gives up when the check's AbortSignal fires.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseCompose } from '../compose/parse-compose.js';
import {
  CheckFailed,
  brief,
  type CheckContext,
  type ComposeDocument,
  type ComposeService,
  type EnvironmentHandle,
  type Http,
  type HttpAnswer,
  type InstanceInfo,
  type RequestOptions,
  type RuntimeKind,
  type TallRun,
} from './check-api.js';
import { copyWithPackages, platformIn, readComposeDocument, runTall, type Slot, type StartedEnvironment } from './throwaway.js';
import { runSql, sqlTarget, type ListedInstance } from './check-sql.js';
import { driverFor } from '../runtimes/registry.js';
import { runBounded } from './bounded-command.js';
import { runLoad } from '../load/run-load.js';
import { withMachineLocks } from '../util/machine-locks.js';

/** The verbs that act on one environment (and take --env). */
const ENV_VERBS = new Set(['up', 'down', 'ps', 'scale', 'kill', 'chaos', 'load', 'logs', 'events', 'services', 'service', 'marketplace', 'deploy', 'rollback']);

/** Where the check is, for the message when it runs out of time: "GET /catalog/health", "tall scale catalog 3". */
export interface Activity {
  current: string;
}

export interface Binding {
  slot: Slot;
  runtime: RuntimeKind;
  abortSignal: AbortSignal;
  activity: Activity;
}

export function environmentHandle(env: StartedEnvironment, binding: Binding): EnvironmentHandle {
  const { slot, runtime } = binding;
  const tall = async (args: string[]): Promise<TallRun> => {
    binding.activity.current = `tall ${args.join(' ')}`;
    const withEnv = args.includes('--env') || !ENV_VERBS.has(args[0] ?? '') ? args : [...args, '--env', env.name];
    return runTall(slot, withEnv, { runtime, abortSignal: binding.abortSignal, variables: env.variables });
  };
  const tallJson = async <T>(args: string[]): Promise<T> => {
    const run = await tall([...args, '--json']);
    if (binding.abortSignal.aborted) throw new CheckFailed(`ran out of time during "tall ${args.join(' ')}"`);
    if (run.code !== 0) throw new CheckFailed(`"tall ${args.join(' ')}" failed (exit ${run.code}): ${(run.stderr || run.stdout).trim().split('\n').slice(0, 6).join(' / ')}`);
    try {
      return JSON.parse(run.stdout) as T;
    } catch {
      throw new CheckFailed(`"tall ${args.join(' ')} --json" printed something that is not JSON: ${brief(run.stdout)}`);
    }
  };
  const platform = platformIn(slot, env.name, env.composeFile);
  /** A path in the environment's own copy of services/: only a writable environment has one, and nothing leaves it. */
  const inOwnCopy = (relativePath: string) => {
    if (!env.servicesDir) throw new Error(`environment "${env.name}" runs from the checked folder, which checks never change: declare it with writable: true`);
    const file = resolve(env.servicesDir, relativePath);
    if (relative(env.servicesDir, file).startsWith('..') || isAbsolute(relative(env.servicesDir, file))) throw new Error(`"${relativePath}" is outside the environment's copy of services/`);
    return file;
  };
  const ps = async () => {
    const state = platform.running();
    if (!state) throw new CheckFailed(`the platform of environment "${env.name}" is not running any more`);
    return state;
  };
  return {
    name: env.name,
    started: env.started,
    failure: env.failure,
    routerUrl: env.routerUrl,
    http: httpClient(env.routerUrl, binding),
    tall,
    tallJson,
    async instances(service?: string) {
      const { instances } = await ps();
      return service ? instances.filter((instance) => instance.service === service) : instances;
    },
    async services() {
      return (await ps()).services;
    },
    compose(): ComposeService[] {
      // As in a real start: the environment's file first, then what the environment was started with (the shell's part).
      return parseCompose(env.composeFile, { env: { ...platform.env.variables, ...env.variables, ROUTER_URL: env.routerUrl } }).services;
    },
    async signal(instance: InstanceInfo, signal: NodeJS.Signals) {
      binding.activity.current = `sending ${signal} to ${instance.id}`;
      await (await driverFor(runtime)).signal(instance, signal).catch((error: Error) => {
        throw new CheckFailed(`could not send ${signal} to ${instance.id}: ${error.message}`);
      });
    },
    async logs(source: string, lines = 20) {
      const run = await tall(['logs', source, '--json', '-n', String(lines)]);
      return run.stdout.split('\n').filter(Boolean).map((line) => {
        try {
          return String((JSON.parse(line) as { line: string }).line);
        } catch {
          return line;
        }
      });
    },
    async sql<Row>(instance: string, statement: string, values?: unknown[]) {
      const listed = await tallJson<{ instances: ListedInstance[] }>(['services']);
      binding.activity.current = `SQL on ${instance}`;
      return runSql<Row>(sqlTarget(platform.env.stateDir, listed.instances, instance), instance, statement, values, binding.abortSignal);
    },
    async load(path, options) {
      binding.activity.current = `load on ${path} at ${options.rps} req/s`;
      return runLoad(urlOn(env.routerUrl, path), { ...options, signal: binding.abortSignal });
    },
    writeFile(relativePath: string, text: string) {
      const file = inOwnCopy(relativePath);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    },
    editCompose(change: (document: ComposeDocument) => void) {
      const file = inOwnCopy('compose.yaml');
      const document = readComposeDocument(file);
      change(document);
      writeFileSync(file, stringify(document, { aliasDuplicateObjects: false }));
    },
  };
}

export function checkContext(main: EnvironmentHandle, extras: Map<string, EnvironmentHandle>, binding: Binding, notes: string[]): CheckContext {
  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (binding.abortSignal.aborted) return reject(new CheckFailed('ran out of time'));
      const timer = setTimeout(() => {
        binding.abortSignal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new CheckFailed('ran out of time'));
      };
      binding.abortSignal.addEventListener('abort', onAbort, { once: true });
    });
  return {
    ...main,
    runtime: binding.runtime,
    servicesDir: binding.slot.services,
    abortSignal: binding.abortSignal,
    composeDocument: (): ComposeDocument => readComposeDocument(join(binding.slot.services, 'compose.yaml')),
    readFile(relativePath: string) {
      const file = join(binding.slot.services, relativePath);
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    },
    copyServices() {
      const copy = join(scratchDir(binding.slot), randomBytes(4).toString('hex'), 'services');
      // Each service's own packages linked, as the checked folder has them (the kit's resolve by walking up from the slot).
      copyWithPackages(binding.slot.services, copy);
      return copy;
    },
    run(command, args, options = {}) {
      binding.activity.current = [command, ...args].join(' ');
      return runBounded(command, args, { ...options, cwd: options.cwd ?? binding.slot.services, abortSignal: binding.abortSignal, containment: binding.slot.containment });
    },
    environment(name: string) {
      const found = extras.get(name);
      if (!found) throw new Error(`the lab did not declare an environment "${name}" (declared: ${[...extras.keys()].join(', ') || 'none'})`);
      return found;
    },
    note: (line: string) => void notes.push(line),
    sleep,
    exclusive(name, work) {
      return withMachineLocks([`check:${name}`], work, () => {
        notes.push(`waited for another check using ${name} on this machine`);
        binding.activity.current = `waiting for another check using ${name}`;
      });
    },
    async waitFor(what, probe, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      binding.activity.current = `waiting for ${what}`;
      while (Date.now() < deadline) {
        try {
          const value = await probe();
          if (value !== undefined && value !== false) return value as never;
        } catch (error) {
          if (binding.abortSignal.aborted) throw error;
          last = error;
        }
        await sleep(150);
      }
      throw new CheckFailed(`gave up waiting for ${what} after ${(timeoutMs / 1000).toFixed(0)} s${last ? ` (last: ${(last as Error).message})` : ''}`);
    },
  };
}

/** Where ctx.copyServices() puts its copies: inside the slot, so packages resolve by walking up as from services/. */
export function scratchDir(slot: Slot): string {
  // containSlot() lets student code write here
  return join(slot.dir, 'scratch');
}

/** The copies a check made: gone once it has its verdict. */
export function removeScratch(slot: Slot): void {
  rmSync(scratchDir(slot), { recursive: true, force: true });
}

function httpClient(baseUrl: string, binding: Binding): Http {
  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer> => {
    const url = urlOn(baseUrl, path);
    const shown = `${method} ${path}`;
    binding.activity.current = shown;
    const timeoutMs = options.timeoutMs ?? 5000;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const started = Date.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.any([binding.abortSignal, AbortSignal.timeout(timeoutMs)]) });
      text = await response.text();
    } catch (error) {
      if (binding.abortSignal.aborted) throw new CheckFailed(`ran out of time during ${shown}`);
      throw new CheckFailed(`${shown} got no answer: ${describeNetworkError(error, timeoutMs)}`);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const headerMap: Record<string, string> = {};
    response.headers.forEach((value, key) => (headerMap[key] = value));
    return { method, url, status: response.status, headers: headerMap, text, json, instance: headerMap['x-instance'], ms: Date.now() - started };
  };
  return {
    baseUrl,
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, body, options) => request('POST', path, { ...options, body }),
  };
}

/** A path is relative to the router; a full URL is used as is. */
function urlOn(baseUrl: string, path: string): string {
  return /^https?:\/\//.test(path) ? path : `${baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${(timeoutMs / 1000).toFixed(1)} s`;
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the platform still running?)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was dropped before an answer came';
  return err.cause?.message ?? err.message;
}
