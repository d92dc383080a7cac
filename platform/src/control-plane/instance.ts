import type { CrashCounter } from '../failover/backoff.js';
import type { InstanceHealth } from '../failover/health-manager.js';
import type { ExitInfo, InstanceHandle } from '../runtimes/runtime.js';
import type { ServiceSpec } from '../compose/model.js';

/** 'exited': ended by itself with code 0; 'crashed': any other end; 'backoff': waiting to be restarted */
export type InstanceState = 'starting' | 'running' | 'exited' | 'crashed' | 'backoff' | 'stopping';

/** What the control plane knows about one instance. */
export interface Instance {
  service: string;
  index: number;
  handle: InstanceHandle;
  /** what it was started from (a deploy's new spec, or the one before): a restart brings back the same version */
  spec: ServiceSpec;
  state: InstanceState;
  ready: boolean;
  /** taken out of its route by the router's passive health check, for a while */
  ejected?: boolean;
  /** kept running outside the router's pool whatever its readiness: a blue-green deploy's idle set */
  standby?: boolean;
  restarts: number;
  startedAt: number;
  lastExit?: ExitInfo & { at: string };
  crashes: CrashCounter;
  health?: InstanceHealth;
  restartTimer?: NodeJS.Timeout;
}

export const instanceId = (instance: { service: string; index: number }) => `${instance.service}/${instance.index}`;

/** The view `tall ps` shows and `--json` prints. */
export interface InstanceView {
  service: string;
  index: number;
  id: string;
  state: InstanceState;
  ready: boolean;
  ejected: boolean;
  /** the service version it runs (1: what `tall up` started; `tall deploy` adds the next) */
  version: number;
  standby: boolean;
  restarts: number;
  address: string;
  pid?: number;
  pidStartTime?: string;
  containerId?: string;
  startedAt: string;
  lastExit?: Instance['lastExit'];
}

export function viewOf(instance: Instance): InstanceView {
  // A crashed instance's pid is history (and may soon be a stranger's): only a live process is shown.
  const live = instance.state === 'starting' || instance.state === 'running' || instance.state === 'stopping';
  return {
    service: instance.service,
    index: instance.index,
    id: instanceId(instance),
    state: instance.state,
    ready: instance.ready,
    ejected: Boolean(instance.ejected),
    version: instance.spec.version ?? 1,
    standby: Boolean(instance.standby),
    restarts: instance.restarts,
    address: `${instance.handle.host}:${instance.handle.port}`,
    pid: live ? instance.handle.pid : undefined,
    pidStartTime: live ? instance.handle.pidStartTime : undefined,
    containerId: instance.handle.containerId,
    startedAt: new Date(instance.startedAt).toISOString(),
    lastExit: instance.lastExit,
  };
}
