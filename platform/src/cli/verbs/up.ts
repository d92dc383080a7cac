import type { Command } from 'commander';
import type { PlatformState } from '../../control-plane/state-file.js';
import { pickRuntime } from '../../runtimes/registry.js';
import type { RuntimeKind } from '../../runtimes/runtime.js';
import { CliError, color, printJson, printWarnings } from '../output.js';
import { platformOf } from '../platform-handle.js';
import { parsePort, parseRuntime } from '../arguments.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the platform and the shop from services/compose.yaml; returns once every service is ready')
    .option('--runtime <kind>', 'process | docker (default: TALL_RUNTIME, else docker if an engine answers, else process)', parseRuntime)
    .option('--env <name>', 'environment to start (a second, isolated copy, e.g. staging)', process.env.TALL_ENV ?? 'default')
    .option('--port <port>', 'router port (default 8080, or TALL_PORT)', parsePort)
    .option('--file <compose>', 'compose file (default services/compose.yaml)')
    .option('--timeout <seconds>', 'how long to wait for every service to be ready', (value) => Number(value), 120)
    .option('--json', 'print the result as JSON')
    .action(async (options: { runtime?: RuntimeKind; env: string; port?: number; file?: string; timeout: number; json?: boolean }) => {
      const client = platformOf(options.env, options.file);
      const runtime = await pickRuntime(options.runtime);
      const quiet = Boolean(options.json);
      if (!quiet) console.log(`starting the platform (${runtime} runtime, environment "${client.env.name}")…`);
      const { state, cleanedUp } = await client.start({
        runtime,
        port: options.port,
        timeoutMs: options.timeout * 1000,
        onProgress: quiet ? undefined : (line) => console.log(color.dim(`  ${line}`)),
        onWarning: (warning) => printWarnings([warning]),
      });
      if (!quiet) for (const line of cleanedUp) console.log(color.yellow(`  stopped ${line}, left running by a control plane that died`));
      if (state.phase !== 'running') {
        if (options.json) printJson({ ok: false, failure: state.failure, warnings: state.warnings, cleanedUp, env: client.env.name, runtime });
        const failure = state.failure;
        const tail = failure?.logTail.length ? `\nlast log lines of ${failure.instance ?? failure.service}:\n${failure.logTail.map((line) => `  | ${line}`).join('\n')}` : '';
        const fix = failure?.fix ?? (failure?.service && failure.service !== 'platform'
          ? `fix service "${failure.service}" and run "npx tall up${client.envFlag()}" again; everything started has been stopped`
          : `see .tall/${client.env.name}/control-plane.log`);
        const reason = failure?.problems?.join('\nerror: ') ?? failure?.reason ?? 'the control plane stopped';
        throw new CliError(`could not start: ${reason}${tail}`, fix);
      }
      if (options.json) return printJson({ ok: true, env: client.env.name, runtime, routerUrl: state.routerUrl, services: state.services, instances: state.instances, warnings: state.warnings, cleanedUp });
      printReady(state, client.envFlag());
    });
}

function printReady(state: PlatformState, env: string): void {
  console.log(color.green(`✔ platform up: ${state.services.length} services ready (${state.runtime} runtime, environment "${state.env}")`));
  console.log(`\n  router  ${color.bold(state.routerUrl!)}`);
  for (const service of state.services) {
    if (service.route) console.log(`  ${service.name.padEnd(8)} ${state.routerUrl}/${service.route}/   (${service.ready} instance${service.ready === 1 ? '' : 's'}, ${service.balance})`);
  }
  // The autoscaler undoes `tall scale` after a while: suggest it for a service it leaves alone.
  const scalable = state.services.find((service) => !service.autoscale)?.name;
  console.log(`\nnext: npx tall ps${env}   ·   npx tall dashboard${env}   ·   npx tall logs -f${env}   ·   ${scalable || state.services.length === 0 ? `npx tall scale ${scalable ?? '<service>'} 3${env}   ·   ` : ''}npx tall down${env}`);
}
