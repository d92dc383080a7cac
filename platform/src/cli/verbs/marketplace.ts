import type { Command } from 'commander';
import { color, printJson, table } from '../output.js';
import { platformOf } from '../platform-handle.js';

/** `tall marketplace`: the services the broker offers and their plans (`cf marketplace`). */
export function registerMarketplace(program: Command): void {
  program
    .command('marketplace')
    .description('the data services the broker offers, with their plans (as "cf marketplace")')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print the catalog as JSON')
    .action(async (options: { env: string; json?: boolean }) => {
      const client = platformOf(options.env);
      const catalog = await client.catalog();
      if (options.json) return printJson({ services: catalog });
      const rows = [['SERVICE', 'PLAN', 'DESCRIPTION'].map(color.bold)];
      for (const service of catalog) {
        for (const plan of service.plans) rows.push([service.name, plan.name === service.defaultPlan ? `${plan.name} (default)` : plan.name, plan.description]);
      }
      console.log(table(rows));
      for (const service of catalog) console.log(color.dim(`\n${service.name}: ${service.description}`));
      console.log(`\ncreate one: npx tall service create <${catalog.map((offered) => offered.name).join('|')}> <name> [--plan <plan>]${client.envFlag()}`);
    });
}
