import type { ServiceSpec } from '../compose/model.js';
import type { Instance } from '../control-plane/instance.js';

/**
 * What replacing instances needs from the control plane, and no more: rolling restarts (bindings), deploys, blue-green
 * switches and rollbacks all work through it, so the control plane keeps one job (desired state against the runtime).
 */
export interface Fleet {
  /** the spec the service runs now (the one new instances and `tall scale` get) */
  spec(service: string): ServiceSpec;
  /** makes `spec` the service's current one; instances already running keep the spec they started from */
  install(spec: ServiceSpec): void;
  /** the service's instances, standby ones included */
  instancesOf(service: string): Instance[];
  /** starts `count` instances of `spec`; `standby` ones stay out of the router's pool even once ready */
  add(spec: ServiceSpec, count: number, options?: { standby?: boolean }): Promise<Instance[]>;
  /** out of the pool, in-flight requests finished, stopped */
  drainAndStop(instance: Instance): Promise<void>;
  /** puts a standby instance in the pool (when ready) or takes an instance out of it and keeps it running */
  setStandby(instance: Instance, standby: boolean): void;
  /** still one of the platform's instances (not stopped, not replaced) */
  holds(instance: Instance): boolean;
  /** the platform is shutting down: stop replacing */
  closing(): boolean;
  changed(): void;
}
