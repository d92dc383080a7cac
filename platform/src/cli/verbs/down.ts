import type { Command } from 'commander';
import { callApi } from '../../control-plane/api-client.js';
import { isAlive, readState, removeState, type PlatformState } from '../../control-plane/state-file.js';
import { color, printJson } from '../output.js';
import { locate } from '../platform-handle.js';
import { cleanUpLeftovers } from '../leftovers.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('stop the platform and every instance it started; leaves no process, container or port behind')
    .option('--env <name>', 'environment to stop', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print the result as JSON')
    .action(async (options: { env: string; json?: boolean }) => {
      const { env, state } = locate(options.env);
      const recorded = state ?? readState(env.stateDir);
      let stopped = 0;
      if (state) {
        stopped = state.instances.length;
        await callApi(state, '/down').catch(() => process.kill(state.pid, 'SIGTERM'));
        await waitForExit(state.pid, 60_000);
      }
      // A control plane that was killed can't clean up after itself: do it from what it last recorded.
      const leftovers = recorded ? await cleanUpLeftovers(recorded as PlatformState) : [];
      removeState(env.stateDir);
      if (options.json) return printJson({ env: env.name, wasRunning: Boolean(state), stoppedInstances: stopped, cleanedUp: leftovers });
      if (!state && leftovers.length === 0) return console.log(`nothing to stop: the platform is not running for environment "${env.name}"`);
      console.log(color.green(`✔ stopped environment "${env.name}"${stopped ? `: ${stopped} instance${stopped === 1 ? '' : 's'}, the router and the control plane` : ''}`));
      for (const line of leftovers) console.log(color.dim(`  cleaned up ${line}`));
      console.log('start again with: npx tall up' + (env.name === 'default' ? '' : ` --env ${env.name}`));
    });
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
