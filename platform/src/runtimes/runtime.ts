import type { EventEmitter } from 'node:events';
import type { ProjectSpec, ServiceSpec } from '../compose/model.js';

export type RuntimeKind = 'process' | 'docker';

/** One running copy of a service, as the runtime knows it. Indexes start at 1, like Compose's container numbers. */
export interface InstanceHandle {
  service: string;
  index: number;
  /** where the instance answers, always on loopback */
  host: '127.0.0.1';
  port: number;
  /** process runtime: the instance's process (its process group leader) and when it started */
  pid?: number;
  pidStartTime?: string;
  /** docker runtime */
  containerId?: string;
}

/** How an instance ended, and why when a limit ended it (Kubernetes' OOMKilled). */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  reason?: 'OOMKilled' | 'PidsLimit';
}

export interface ExecResult {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
}

/**
 * What the control plane needs from something that can run instances.
 * Everything else (routing, health, restarts with backoff, scaling, drain) is the control plane's job.
 *
 * Events:
 *  - 'exit' (handle: InstanceHandle, info: ExitInfo)  an instance stopped without being asked to
 *  - 'log'  (source: string, line: string)  one line of output; source is 'catalog/1' style, or 'runtime'
 */
export interface Runtime extends EventEmitter {
  readonly kind: RuntimeKind;
  /** Build what is needed before anything starts (images, bundles). Reports progress lines. */
  prepare(project: ProjectSpec, progress: (line: string) => void): Promise<void>;
  /**
   * Builds what instances of a new version of `service` (its `version` set) will run from, leaving what runs now alone:
   * the docker runtime bundles the service and builds an image tagged with the version. Resolves with an identity of what
   * was built (an image id); a runtime that runs the folder as it is (process) leaves this out.
   */
  buildVersion?(service: ServiceSpec, progress: (line: string) => void): Promise<string>;
  /**
   * Start `count` more instances of `service`, numbered from the lowest free index. Resolves once they run and their ports
   * are known (not yet ready: readiness is the control plane's business).
   */
  start(service: ServiceSpec, count: number): Promise<InstanceHandle[]>;
  /** Start an instance again after it exited (same index). May get a new port. */
  restart(service: ServiceSpec, handle: InstanceHandle): Promise<InstanceHandle>;
  /** Graceful stop (SIGTERM, then SIGKILL after graceMs) and removal. Not reported as an 'exit' event. */
  stop(handle: InstanceHandle, graceMs: number): Promise<void>;
  /** SIGKILL, for failover drills. The resulting exit IS reported as an 'exit' event. */
  kill(handle: InstanceHandle): Promise<void>;
  /** Run a Compose healthcheck test once inside (or beside) the instance. */
  exec(handle: InstanceHandle, test: string[], timeoutMs: number): Promise<ExecResult>;
  /**
   * Addresses the instance listens on that other machines could reach (anything but loopback), where the runtime can
   * tell; a runtime whose instances are isolated anyway (containers publish on 127.0.0.1 only) leaves this out.
   */
  exposedAddresses?(handle: InstanceHandle): Promise<string[]>;
  /** Stop and remove everything this runtime started. Idempotent. */
  shutdown(): Promise<void>;
}
