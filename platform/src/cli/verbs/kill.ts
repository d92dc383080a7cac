import type { Command } from 'commander';
import { CliError, color, printJson } from '../output.js';
import { requireRunning } from '../platform-handle.js';
import { parseInstanceRef } from '../arguments.js';

export function registerKill(program: Command): void {
  program
    .command('kill')
    .description('SIGKILL one instance (a random one if no index), for failover drills: watch the platform bring it back')
    .argument('<instance>', '<service> or <service>/<index>, e.g. catalog/2', parseInstanceRef)
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print the result as JSON')
    .action(async (ref: { service: string; index?: number }, options: { env: string; json?: boolean }) => {
      const { client, state } = requireRunning(options.env);
      if (!state.services.some((s) => s.name === ref.service)) {
        throw new CliError(`no service "${ref.service}"`, `services: ${state.services.map((s) => s.name).join(', ')}`, 2);
      }
      const killed = await client.kill(ref.service, ref.index);
      if (options.json) return printJson({ killed });
      console.log(color.green(`✔ sent SIGKILL to ${killed.id}`));
      console.log(`watch it come back: npx tall events${state.env === 'default' ? '' : ` --env ${state.env}`}   ·   npx tall ps`);
    });
}
