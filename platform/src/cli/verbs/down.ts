import type { Command } from 'commander';
import { color, printJson } from '../output.js';
import { platformOf } from '../platform-handle.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('stop the platform and every instance it started; leaves no process, container or port behind')
    .option('--env <name>', 'environment to stop', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print the result as JSON')
    .action(async (options: { env: string; json?: boolean }) => {
      const client = platformOf(options.env);
      const { wasRunning, stoppedInstances, cleanedUp } = await client.stop();
      if (options.json) return printJson({ env: client.env.name, wasRunning, stoppedInstances, cleanedUp });
      if (!wasRunning && cleanedUp.length === 0) return console.log(`nothing to stop: the platform is not running for environment "${client.env.name}"`);
      if (wasRunning) console.log(color.green(`✔ stopped environment "${client.env.name}": ${stoppedInstances} instance${stoppedInstances === 1 ? '' : 's'}, the router and the control plane`));
      else console.log(color.green(`✔ environment "${client.env.name}": its control plane had died; stopped what it left running`));
      for (const line of cleanedUp) console.log(color.dim(`  cleaned up ${line}`));
      console.log(`start again with: npx tall up${client.envFlag()}`);
    });
}
