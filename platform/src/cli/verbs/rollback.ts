import type { Command } from 'commander';
import { readyTimeout, report, requireKnownService, withProgress, type DeliveryOptions } from './deploy.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('go back to the service\'s previous good version: at once after a blue-green deploy, else rolling')
    .argument('<service>', 'service name, e.g. catalog')
    .option('--timeout <duration>', 'how long each instance may take to be ready (default 30s)')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print the result as JSON')
    .action(async (service: string, options: DeliveryOptions) => {
      const { client, state } = requireKnownService(options.env, service);
      const outcome = await withProgress(client, service, options, () => client.rollback(service, readyTimeout(options)));
      report(outcome, state, options);
    });
}
