import type { Command } from 'commander';
import type { InstanceView } from '../../data-services/broker.js';
import { findService } from '../../data-services/catalog.js';
import { color, printJson, table } from '../output.js';
import { requireRunning } from '../platform-handle.js';

/** `tall services`: every data-service instance, its plan, bindings, last operation and server (`cf services`). */
export function registerServices(program: Command): void {
  program
    .command('services')
    .description('data-service instances: service, plan, bound services, last operation, server state, masked URL; a message broker\'s queues')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print as JSON (pid / containerId of each database server for outside tools; no credentials)')
    .action(async (options: { env: string; json?: boolean }) => {
      const { client, state } = requireRunning(options.env);
      const instances = await client.dataInstances();
      if (options.json) return printJson({ env: state.env, runtime: state.runtime, instances });
      if (instances.length === 0) {
        console.log(`no data-service instances in environment "${state.env}"`);
        console.log(`see what is offered: npx tall marketplace${client.envFlag()}`);
        return;
      }
      const rows = [['NAME', 'SERVICE', 'PLAN', 'BOUND TO', 'LAST OPERATION', 'SERVER', 'URL'].map(color.bold)];
      for (const instance of instances) {
        rows.push([
          instance.name,
          instance.service,
          instance.plan,
          instance.bindings.map((binding) => binding.app).join(', ') || '-',
          operation(instance),
          instance.server === 'running' ? color.green('running') : instance.server === 'down' ? color.red('down') : color.yellow(instance.server),
          instance.url ?? '-',
        ]);
      }
      console.log(`environment "${state.env}" · ${state.runtime} runtime\n`);
      console.log(table(rows));
      const brokers = instances.filter((instance) => findService(instance.service)?.queues);
      if (brokers.length > 0) {
        const queueRows = [['BROKER', 'QUEUE', 'WAITING', 'BEING WORKED', 'FAILED', 'LAG'].map(color.bold)];
        for (const broker of brokers) {
          const queues = broker.queues ?? [];
          for (const queue of queues) queueRows.push([broker.name, queue.name, String(queue.waiting), String(queue.active), queue.failed ? color.red(String(queue.failed)) : '0', `${queue.lagSeconds} s`]);
          if (queues.length === 0) queueRows.push([broker.name, color.dim(broker.queues ? 'no queue yet (an app makes one with createQueue)' : 'not read yet (every 3 s while its server runs)'), '', '', '', '']);
        }
        console.log(`
${table(queueRows)}`);
      }
      for (const instance of instances.filter((candidate) => candidate.lastOperation.state === 'failed')) {
        console.log(color.red(`\n${instance.name}: ${instance.lastOperation.type} failed: ${instance.lastOperation.description}`));
      }
    });
}

function operation(instance: InstanceView): string {
  const text = `${instance.lastOperation.type} ${instance.lastOperation.state}`;
  return instance.lastOperation.state === 'succeeded' ? text : instance.lastOperation.state === 'failed' ? color.red(text) : color.yellow(text);
}
