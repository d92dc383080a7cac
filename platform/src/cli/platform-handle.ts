import { PlatformClient } from '../control-plane/platform-client.js';
import type { PlatformState } from '../control-plane/state-file.js';

/** The client of the environment named by --env (and --file, for `up`). */
export function platformOf(envName: string, composeFile?: string): PlatformClient {
  return PlatformClient.of(envName, { composeFile });
}

/** The running platform of that environment; an error that says how to start it when there is none. */
export function requireRunning(envName: string): { client: PlatformClient; state: PlatformState } {
  const client = platformOf(envName);
  return { client, state: client.requireRunning() };
}

/** The environment named by --env, and its running control plane's state if one is running. */
export function locate(envName: string): { env: PlatformClient['env']; state?: PlatformState } {
  const client = platformOf(envName);
  return { env: client.env, state: client.running() };
}
