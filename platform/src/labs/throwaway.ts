/**
 * The throwaway platform a check runs against, started through the platform client with a state folder of its own in
 * .tall/checks/slot-<n>/ and free ports. The learner's own check runs on their services/ folder in place — so an
 * instance runs from the very folder it runs from under "tall up", and nothing tells it that it is being checked; the
 * self-test and grading check other folders (a solution, a fixture, a submission), copied into the slot. It never
 * touches the learner's platform (port 8080, .tall/default): a different state folder, ports and Docker project name.
 * A slot is reused by the next run (so Docker reuses its images) and cleaned up first if a previous run was killed
 * before it could tear down.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parse, stringify } from 'yaml';
import { PlatformClient } from '../control-plane/platform-client.js';
import { isAlive } from '../util/process-identity.js';
import { freePort } from '../util/ports.js';
import type { ComposeDocument, EnvironmentRequest, RuntimeKind, StartFailure, TallRun } from './check-api.js';
import { KIT_ROOT, TALL_BIN } from './lab-paths.js';
import { copyTree } from './tree.js';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';
import type { Containment } from '../containment/containment.js';

export interface Slot {
  /** the slot's own folder: its lock, state, compose variants and (for a copy) the checked services/ */
  dir: string;
  /** the folder that holds the checked services/ (the work root in place, the slot for a copy) */
  root: string;
  /** the checked services/ folder */
  services: string;
  stateDir: string;
  /** set when the checked code is untrusted (grading): every student process the slot runs is held to it */
  containment?: Containment;
  release(): void;
}

/** Slots this process holds: a grader runs several sessions at once, and its own lock must not look free to it. */
const heldHere = new Set<string>();

/** Takes the first slot no living process holds; cleans up what a killed run left in it. */
export async function acquireSlot(checksDir: string): Promise<Slot> {
  ensurePrivateDir(checksDir);
  for (let n = 1; n < 50; n++) {
    const root = join(checksDir, `slot-${n}`);
    const lock = join(root, 'lock.json');
    if (heldHere.has(root)) continue;
    ensurePrivateDir(root);
    try {
      writePrivateFile(lock, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }), { flag: 'wx' });
    } catch {
      const holder = readJson<{ pid?: number }>(lock);
      if (holder?.pid && holder.pid !== process.pid && isAlive(holder.pid)) continue;
      writePrivateFile(lock, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
    }
    heldHere.add(root);
    const slot: Slot = {
      dir: root,
      root,
      services: join(root, 'services'),
      stateDir: join(root, 'state'),
      release: () => {
        rmSync(lock, { force: true });
        heldHere.delete(root);
      },
    };
    await stopLeftovers(slot);
    return slot;
  }
  throw new Error(`no free check slot in ${checksDir}: are 50 checks running? Remove the folder if not`);
}

/** Environments a killed run left running in this slot. */
async function stopLeftovers(slot: Slot): Promise<void> {
  if (!existsSync(slot.stateDir)) return;
  const envs = readdirSync(slot.stateDir).filter((name) => existsSync(join(slot.stateDir, name, 'state.json')));
  await Promise.all(envs.map((env) => stopEnvironment(slot, env)));
}

/** The slot checks the learner's services/ where it is: the platform runs from the same folders as under "tall up". */
export function useInPlace(slot: Slot, workRoot: string, services: string): void {
  rmSync(join(slot.dir, 'services'), { recursive: true, force: true });
  rmSync(slot.stateDir, { recursive: true, force: true });
  ensurePrivateDir(slot.stateDir);
  slot.root = workRoot;
  slot.services = services;
}

/** Puts a fresh copy of `source` (a solution, a fixture, a submission) into the slot, with the kit's node_modules reachable from it. */
export function prepareCopy(slot: Slot, source: string): void {
  rmSync(slot.services, { recursive: true, force: true });
  rmSync(slot.stateDir, { recursive: true, force: true });
  copyTree(source, slot.services);
  ensurePrivateDir(slot.stateDir);
  // Services resolve express, tsx, … by walking up from their folder: link the kit's packages into the slot.
  linkIfMissing(join(KIT_ROOT, 'node_modules'), join(slot.root, 'node_modules'));
  for (const entry of readdirSync(source, { withFileTypes: true })) {
    const own = join(source, entry.name, 'node_modules');
    if (entry.isDirectory() && existsSync(own)) linkIfMissing(own, join(slot.services, entry.name, 'node_modules'));
  }
}

/** A copy of the services/ folder `from` at `to` (its files), each service's own node_modules linked as `from` has them. */
export function copyWithPackages(from: string, to: string): void {
  copyTree(from, to);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const own = join(from, entry.name, 'node_modules');
    if (entry.isDirectory() && existsSync(own) && existsSync(join(to, entry.name))) linkIfMissing(own, join(to, entry.name, 'node_modules'));
  }
}

function linkIfMissing(target: string, link: string): void {
  if (!existsSync(target)) return;
  rmSync(link, { recursive: true, force: true });
  symlinkSync(target, link, process.platform === 'win32' ? 'junction' : 'dir');
}

/**
 * The grader's containment, completed for this slot: student code may write its own services/ copy and the check's
 * scratch copies, and finds the kit's packages where the copy expects them — the slot itself may sit in a hidden folder.
 */
export function containSlot(slot: Slot, base: Containment): void {
  const scratch = join(slot.dir, 'scratch');
  ensurePrivateDir(scratch);
  // Vitest bundles its config into node_modules/.vite-temp of the nearest node_modules, which is the kit's.
  const caches = ['.vite-temp', '.cache'].map((name) => join(KIT_ROOT, 'node_modules', name));
  for (const dir of caches) mkdirSync(dir, { recursive: true });
  slot.containment = {
    ...base,
    privateDirs: [...(base.privateDirs ?? []), ...caches],
    servicesDir: slot.services,
    writable: [...base.writable, slot.services, scratch],
    links: [...base.links, { target: join(KIT_ROOT, 'node_modules'), path: join(slot.root, 'node_modules') }],
  };
}

export interface RunOptions {
  runtime: RuntimeKind;
  /** variables for the child's environment (interpolation of ${VAR} in the compose file) */
  variables?: Record<string, string>;
  timeoutMs?: number;
  abortSignal?: AbortSignal;
}

/** Runs the real `tall` CLI against the slot's copy. Never rejects: a failure is a non-zero code with stderr. */
export function runTall(slot: Slot, args: string[], options: RunOptions): Promise<TallRun> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...(options.variables ?? {}) };
    for (const name of ['TALL_ENV', 'TALL_PORT', 'TALL_ROOT', 'TALL_STATE_DIR']) delete env[name];
    Object.assign(env, { NO_COLOR: '1', TALL_ROOT: slot.root, TALL_STATE_DIR: slot.stateDir, TALL_RUNTIME: options.runtime });
    const child = spawn(process.execPath, [TALL_BIN, ...args], { cwd: slot.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let why = '';
    const stop = (reason: string) => {
      why = reason;
      child.kill('SIGTERM');
    };
    const timer = options.timeoutMs ? setTimeout(() => stop(`timed out after ${Math.round(options.timeoutMs! / 1000)} s`), options.timeoutMs) : undefined;
    const onAbort = () => stop('stopped: the check ran out of time');
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => (stderr += `\n${error.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
      resolve({ args, code: code ?? 1, stdout, stderr: why ? `${stderr}\n${why}`.trim() : stderr });
    });
  });
}

export interface StartedEnvironment {
  name: string;
  started: boolean;
  routerUrl: string;
  port: number;
  failure?: StartFailure;
  startMs: number;
  /** the compose file it was started from, absolute */
  composeFile: string;
  /** variables it was started with */
  variables: Record<string, string>;
  /** the environment's own copy of services/, when the lab asked for a writable one */
  servicesDir?: string;
}

/**
 * Starts environment <name> of the checked services/ on a free port, as `tall up --env <name>` would (through the same
 * platform client, without a CLI in between). A variant of the compose file (request.compose / request.only) is written
 * into the slot, never into the checked folder, with its relative paths made absolute so build contexts and env files
 * still resolve.
 */
export async function startEnvironment(slot: Slot, name: string, request: EnvironmentRequest, options: RunOptions & { timeoutMs: number }): Promise<StartedEnvironment> {
  const servicesDir = request.writable ? writableCopy(slot, name) : undefined;
  let composeFile = join(servicesDir ?? slot.services, 'compose.yaml');
  let containment = slot.containment;
  if (servicesDir && containment) containment = { ...containment, servicesDir, writable: [...containment.writable, servicesDir] };
  if (request.compose || request.only) {
    const document = readComposeDocument(composeFile);
    if (request.only) keepOnly(document, request.only);
    request.compose?.(document);
    if (!servicesDir) {
      // The shared copy stays as checked: the variant is written beside it, its relative paths made absolute.
      absolutize(document, slot.services);
      ensurePrivateDir(join(slot.dir, 'variants'));
      composeFile = join(slot.dir, 'variants', `${name}.yaml`);
    }
    // A writable environment's own folder takes the variant in its compose.yaml, where relative paths resolve as they are.
    writeFileSync(composeFile, stringify(document, { aliasDuplicateObjects: false }));
  }
  const variables = { ...configVariables(slot, request.config ?? request.name), ...(request.variables ?? {}) };
  const port = await freePort();
  const started = Date.now();
  const base = { name, port, routerUrl: `http://127.0.0.1:${port}`, composeFile, variables, servicesDir };
  if (options.abortSignal?.aborted) return { ...base, startMs: 0, started: false, failure: { reason: 'interrupted', logTail: [] } };
  try {
    const client = platformIn(slot, name, composeFile);
    const { state } = await client.start({ runtime: options.runtime, port, timeoutMs: options.timeoutMs, variables, abortSignal: options.abortSignal, containment });
    const startMs = Date.now() - started;
    if (state.phase === 'running') return { ...base, startMs, started: true, routerUrl: state.routerUrl ?? base.routerUrl };
    const failure = state.failure ?? { service: 'platform', reason: 'the control plane stopped', logTail: [] };
    return { ...base, startMs, started: false, failure: { ...failure, logTail: failure.logTail ?? [] } };
  } catch (error) {
    return { ...base, startMs: Date.now() - started, started: false, failure: { reason: (error as Error).message, logTail: [] } };
  }
}

/** A fresh copy of the checked services/ for a writable environment, in the slot (packages resolve from it as from the slot). */
function writableCopy(slot: Slot, name: string): string {
  const dir = join(slot.dir, 'environments', name);
  rmSync(dir, { recursive: true, force: true });
  ensurePrivateDir(dir);
  const copy = join(dir, 'services');
  copyWithPackages(slot.services, copy);
  return copy;
}

/** A name for an environment a lab did not name: neutral, so no service can tell which check it is in. */
export function neutralEnvironmentName(): string {
  return `env-${randomBytes(3).toString('hex')}`;
}

/** Relative paths of a compose variant (build contexts, env files, bind mounts), made absolute from the checked folder. */
function absolutize(document: ComposeDocument, servicesDir: string): void {
  const from = (path: string) => (isAbsolute(path) ? path : resolve(servicesDir, path));
  for (const service of Object.values(document.services)) {
    if (typeof service.build === 'string') service.build = from(service.build);
    else if (service.build && typeof service.build === 'object') {
      const build = service.build as { context?: string };
      build.context = from(build.context ?? '.');
    }
    if (typeof service.env_file === 'string') service.env_file = from(service.env_file);
    else if (Array.isArray(service.env_file)) {
      service.env_file = service.env_file.map((entry: unknown) =>
        typeof entry === 'string' ? from(entry) : entry && typeof entry === 'object' && 'path' in entry ? { ...entry, path: from(String((entry as { path: unknown }).path)) } : entry);
    }
    if (Array.isArray(service.volumes)) {
      service.volumes = service.volumes.map((volume: unknown) => {
        if (typeof volume !== 'string' || !/^\.\.?\//.test(volume)) return volume;
        const [host, ...rest] = volume.split(':');
        return [from(host!), ...rest].join(':');
      });
    }
  }
}

/** The platform client of one environment of the slot (its own state folder, never the learner's .tall/). */
export function platformIn(slot: Slot, name: string, composeFile?: string): PlatformClient {
  return PlatformClient.of(name, { root: slot.root, stateRoot: slot.stateDir, composeFile });
}

/** What `tall down --env <name>` does, in-process: teardown is on the learner's clock. */
export async function stopEnvironment(slot: Slot, name: string): Promise<void> {
  await platformIn(slot, name).stop();
}

/** The variables of services/environments/<config>.env in the copy ({} when there is no such file). */
function configVariables(slot: Slot, config: string | undefined): Record<string, string> {
  if (!config) return {};
  const file = join(slot.services, 'environments', `${config}.env`);
  return existsSync(file) ? (parseEnv(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

/** The compose file as a plain object: anchors and merges expanded, ${VAR} left as written. */
export function readComposeDocument(file: string): ComposeDocument {
  const document = parse(readFileSync(file, 'utf8'), { merge: true, maxAliasCount: 1000 }) as ComposeDocument | null;
  if (!document || typeof document !== 'object' || !document.services) throw new Error(`${file} has no "services:"`);
  // Merge keys expanded; drop the x- anchors' holders at the top so the variant stays small and valid.
  return document;
}

function keepOnly(document: ComposeDocument, keep: string[]): void {
  for (const name of Object.keys(document.services)) if (!keep.includes(name)) delete document.services[name];
  for (const service of Object.values(document.services)) {
    const dependsOn = service.depends_on;
    if (Array.isArray(dependsOn)) service.depends_on = dependsOn.filter((name) => keep.includes(String(name)));
    else if (dependsOn && typeof dependsOn === 'object') {
      for (const name of Object.keys(dependsOn)) if (!keep.includes(name)) delete (dependsOn as Record<string, unknown>)[name];
    }
  }
}

/** Is the control plane of this environment still alive? (A crash of the platform itself must fail the checks.) */
export function environmentAlive(slot: Slot, name: string): boolean {
  return platformIn(slot, name).running() !== undefined;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
