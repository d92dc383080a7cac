/**
 * The runtimes the platform can run instances on, each described by a driver that says what only it knows: whether it
 * works on this machine, how to build it for an environment, how to name and signal an instance from outside, and how to
 * clean up after a control plane that died. Everything else (routing, health, scaling) is the control plane's, the same
 * for all. A third runtime is one more folder and one more line here.
 */
import type { PlatformState } from '../control-plane/state-file.js';
import type { InstanceView } from '../control-plane/instance.js';
import type { Environment } from '../environments/environment.js';
import type { Runtime, RuntimeKind } from './runtime.js';
import type { Containment } from '../containment/containment.js';
import { UserError } from '../control-plane/user-error.js';

export interface RuntimeAvailability {
  ok: boolean;
  /** what was found, e.g. "engine 20.10.24, compose 2.26.1" */
  detail: string;
  problem?: string;
  fix?: string;
}

export interface RuntimeSetup {
  runtime: Runtime;
  /** where the router listens besides 127.0.0.1 (containers can't reach the host's loopback) */
  extraRouterHosts: string[];
  /** the variables the compose file is interpolated with, ROUTER_URL included */
  interpolation: Record<string, string>;
}

export interface RuntimeDriver {
  readonly kind: RuntimeKind;
  /** what `tall ps` calls an instance's handle outside the platform: "PID", "CONTAINER" */
  readonly idLabel: string;
  idOf(instance: InstanceView): string | undefined;
  availability(): Promise<RuntimeAvailability>;
  /** `containment`: the services are untrusted (grading); the runtime holds every process of theirs to it */
  create(env: Environment, routerPort: number, variables: Record<string, string>, containment?: Containment): Promise<RuntimeSetup>;
  /** what a control plane that died left running, from its last published state (described for people) */
  leftovers(record: PlatformState): Promise<string[]>;
  /** stops those leftovers; returns what it stopped */
  cleanUpLeftovers(record: PlatformState): Promise<string[]>;
  /** sends a signal to one instance from outside the platform, as a learner's chaos script would */
  signal(instance: InstanceView, signal: NodeJS.Signals): Promise<void>;
}

const DRIVERS: Record<RuntimeKind, () => Promise<RuntimeDriver>> = {
  // Loaded on demand: the docker driver pulls in modules a process-only learner never needs.
  process: async () => (await import('./process/driver.js')).processDriver,
  docker: async () => (await import('./docker/driver.js')).dockerDriver,
};

/** In order of preference when nothing is asked for: a real container engine when one answers. */
export const RUNTIME_KINDS: RuntimeKind[] = ['docker', 'process'];

export function isRuntimeKind(value: string): value is RuntimeKind {
  return value in DRIVERS;
}

export function driverFor(kind: RuntimeKind): Promise<RuntimeDriver> {
  return DRIVERS[kind]();
}

/** TALL_RUNTIME, which stands for --runtime when the flag is not given. */
export function runtimeFromEnv(): RuntimeKind | undefined {
  const value = process.env.TALL_RUNTIME;
  if (!value) return undefined;
  if (!isRuntimeKind(value)) throw new UserError(`TALL_RUNTIME=${value} is not a runtime`, `set TALL_RUNTIME to ${RUNTIME_KINDS.join(' or ')}, or unset it`);
  return value;
}

/** The runtime asked for (flag, else TALL_RUNTIME), else the first that works here. */
export async function pickRuntime(requested?: RuntimeKind): Promise<RuntimeKind> {
  const asked = requested ?? runtimeFromEnv();
  if (asked) return asked;
  for (const kind of RUNTIME_KINDS) {
    if ((await (await driverFor(kind)).availability()).ok) return kind;
  }
  return 'process';
}
