import { resolveEnvironment, type Environment } from '../environments/environment.js';
import { isAlive, readState, type PlatformState } from '../control-plane/state-file.js';
import { CliError } from './output.js';

/** The environment named by --env, and its running control plane's state if one is running. */
export function locate(envName: string): { env: Environment; state?: PlatformState } {
  let env: Environment;
  try {
    env = resolveEnvironment(envName);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const state = readState(env.stateDir);
  return { env, state: state && isAlive(state.pid) ? state : undefined };
}

export function requireRunning(envName: string): { env: Environment; state: PlatformState } {
  const { env, state } = locate(envName);
  if (!state) {
    throw new CliError(`the platform is not running${envName === 'default' ? '' : ` for environment "${envName}"`}`, `start it with: npx tall up${envName === 'default' ? '' : ` --env ${envName}`}`);
  }
  return { env, state };
}
