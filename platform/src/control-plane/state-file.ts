import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeKind } from '../runtimes/runtime.js';
import type { Warning } from '../compose/model.js';
import type { Phase, ServiceView, StartupFailure } from './control-plane.js';
import type { InstanceView } from './instance.js';
import { writePrivateFile } from '../util/private-files.js';

/** What a running control plane publishes about itself in `.tall/<env>/state.json` (readable only by its owner: it holds the API token). */
export interface PlatformState {
  env: string;
  runtime: RuntimeKind;
  /** the control plane's own process, and when it started (a pid alone may belong to a stranger by now) */
  pid: number;
  pidStartTime?: string;
  phase: Phase | 'preparing';
  startedAt: string;
  composeFile: string;
  projectName: string;
  routerUrl?: string;
  routerPort?: number;
  /** where the platform's metrics are, in Prometheus' text format (127.0.0.1 only) */
  metricsUrl?: string;
  api?: { port: number; token: string };
  progress: string[];
  warnings: Warning[];
  failure?: StartupFailure;
  services: ServiceView[];
  instances: InstanceView[];
  /**
   * process runtime: the data services' database servers while they run (no secret), so what a dead control plane left
   * running is found and stopped like its instances
   */
  dataServers?: { name: string; pid: number; pidStartTime?: string }[];
}

export const stateFile = (stateDir: string) => join(stateDir, 'state.json');

export function writeState(stateDir: string, state: PlatformState): void {
  const file = stateFile(stateDir);
  const temporary = `${file}.${process.pid}.tmp`;
  writePrivateFile(temporary, JSON.stringify(state, null, 2));
  renameSync(temporary, file);
}

export function readState(stateDir: string): PlatformState | undefined {
  const file = stateFile(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PlatformState;
  } catch {
    return undefined;
  }
}

export function removeState(stateDir: string): void {
  rmSync(stateFile(stateDir), { force: true });
}
