import type { Command } from 'commander';
import { CliError, color, printJson } from '../output.js';
import { requireRunning } from '../platform-handle.js';
import { parseReplicas } from '../arguments.js';

export function registerScale(program: Command): void {
  program
    .command('scale')
    .description('set how many instances a service runs; scale-in drains an instance before stopping it')
    .argument('<service>', 'service name, e.g. catalog')
    .argument('<n>', 'number of instances (0–20)', parseReplicas)
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print the result as JSON')
    .action(async (service: string, replicas: number, options: { env: string; json?: boolean }) => {
      const { client, state } = requireRunning(options.env);
      if (!state.services.some((s) => s.name === service)) {
        throw new CliError(`no service "${service}"`, `services: ${state.services.map((s) => s.name).join(', ')}`, 2);
      }
      const result = await client.scale(service, replicas);
      if (options.json) return printJson({ service, ...result });
      console.log(color.green(`✔ ${service}: ${result.from} → ${result.to} instance${result.to === 1 ? "" : "s"}, ${result.ready} ready`));
      if (result.autoscaledHoldMs !== undefined) {
        console.log(`${service} is autoscaled: this count stands for ${result.autoscaledHoldMs / 1000} s (more if load asks for more), then its x-tall.autoscale policy decides again`);
      }
      console.log(`see them with: npx tall ps${state.env === 'default' ? '' : ` --env ${state.env}`}`);
    });
}
