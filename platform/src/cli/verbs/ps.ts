import type { Command } from 'commander';
import { driverFor } from '../../runtimes/registry.js';
import { CliError, color, printJson, table } from '../output.js';
import { platformOf } from '../platform-handle.js';
import { summarizeAutoscale } from '../../autoscaling/autoscaler.js';

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('list every instance: service, index, version, state, readiness, restarts, address, pid or container id')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print as JSON (pid / containerId for outside tools)')
    .action(async (options: { env: string; json?: boolean }) => {
      const client = platformOf(options.env);
      const status = await client.status();
      if (status.kind === 'orphaned') {
        const { record, leftovers } = status;
        const message = `the control plane of environment "${record.env}" (pid ${record.pid}) is gone without having stopped what it started; still running: ${leftovers.join(', ')}`;
        if (options.json) return printJson({ env: record.env, runtime: record.runtime, phase: 'orphaned', leftovers, error: message });
        throw new CliError(message, `stop them with "npx tall down${client.envFlag()}", or start afresh with "npx tall up${client.envFlag()}" (it stops them first)`);
      }
      if (status.kind === 'stopped') client.requireRunning();
      const state = client.requireRunning();
      if (options.json) {
        return printJson({ env: state.env, runtime: state.runtime, phase: state.phase, routerUrl: state.routerUrl, metricsUrl: state.metricsUrl, services: state.services, instances: state.instances });
      }
      const driver = await driverFor(state.runtime);
      const rows = [['INSTANCE', 'VERSION', 'STATE', 'READY', 'RESTARTS', 'ADDRESS', driver.idLabel].map(color.bold)];
      for (const instance of state.instances) {
        rows.push([
          instance.id,
          `v${instance.version ?? 1}${instance.standby ? ' standby' : ''}`,
          instance.state === 'running' ? color.green(instance.state) : instance.state === 'crashed' || instance.state === 'backoff' ? color.red(instance.state) : color.yellow(instance.state),
          instance.ejected ? color.yellow('ejected') : instance.ready ? color.green('yes') : color.red('no'),
          String(instance.restarts),
          instance.address,
          driver.idOf(instance) ?? '-',
        ]);
      }
      console.log(`environment "${state.env}" · ${state.runtime} runtime · router ${state.routerUrl} · metrics ${state.metricsUrl ?? '-'} · ${state.phase}\n`);
      console.log(table(rows));
      for (const service of state.services) {
        if (service.autoscale) console.log(`\n${color.bold(service.name)} autoscaled: ${summarizeAutoscale(service.autoscale)}${service.autoscale.lastChange ? `\n  last change: ${service.autoscale.lastChange}` : ''}`);
      }
    });
}
