import type { Command } from 'commander';
import { color, printJson, table } from '../output.js';
import { requireRunning } from '../platform-handle.js';

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('list every instance: service, index, state, readiness, restarts, address, pid or container id')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print as JSON (pid / containerId for outside tools)')
    .action((options: { env: string; json?: boolean }) => {
      const { state } = requireRunning(options.env);
      if (options.json) {
        return printJson({ env: state.env, runtime: state.runtime, phase: state.phase, routerUrl: state.routerUrl, services: state.services, instances: state.instances });
      }
      const idColumn = state.runtime === 'docker' ? 'CONTAINER' : 'PID';
      const rows = [['INSTANCE', 'STATE', 'READY', 'RESTARTS', 'ADDRESS', idColumn].map(color.bold)];
      for (const instance of state.instances) {
        rows.push([
          instance.id,
          instance.state === 'running' ? color.green(instance.state) : instance.state === 'crashed' || instance.state === 'backoff' ? color.red(instance.state) : color.yellow(instance.state),
          instance.ejected ? color.yellow('ejected') : instance.ready ? color.green('yes') : color.red('no'),
          String(instance.restarts),
          instance.address,
          instance.containerId?.slice(0, 12) ?? String(instance.pid ?? '-'),
        ]);
      }
      console.log(`environment "${state.env}" · ${state.runtime} runtime · router ${state.routerUrl} · ${state.phase}\n`);
      console.log(table(rows));
    });
}
