import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseCompose } from '../../compose/parse-compose.js';
import { ComposeError } from '../../compose/errors.js';
import { isAlive, readState, removeState, type PlatformState } from '../../control-plane/state-file.js';
import type { DaemonOptions } from '../../control-plane/daemon.js';
import { defaultRuntime } from '../../runtimes/create-runtime.js';
import type { RuntimeKind } from '../../runtimes/runtime.js';
import { CliError, color, printJson, printWarnings } from '../output.js';
import { locate } from '../platform-handle.js';
import { parsePort, parseRuntime } from '../arguments.js';
import { dockerProblem } from './doctor.js';

const DAEMON = fileURLToPath(new URL('../../control-plane/daemon.ts', import.meta.url));
// Resolved from the kit itself, not from the folder the system lives in (which may have no node_modules).
const TSX_LOADER = import.meta.resolve('tsx');

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the platform and the shop from services/compose.yaml; returns once every service is ready')
    .option('--runtime <kind>', 'process | docker (default: docker if an engine answers, else process)', parseRuntime)
    .option('--env <name>', 'environment to start (a second, isolated copy, e.g. staging)', process.env.TALL_ENV ?? 'default')
    .option('--port <port>', 'router port (default 8080, or TALL_PORT)', parsePort)
    .option('--file <compose>', 'compose file (default services/compose.yaml)')
    .option('--timeout <seconds>', 'how long to wait for every service to be ready', (value) => Number(value), 120)
    .option('--json', 'print the result as JSON')
    .action(async (options: { runtime?: RuntimeKind; env: string; port?: number; file?: string; timeout: number; json?: boolean }) => {
      const { env, state: running } = locate(options.env);
      if (running) {
        throw new CliError(
          `the platform is already running for environment "${env.name}" (${running.runtime} runtime, router ${running.routerUrl ?? 'starting'})`,
          `stop it first with "npx tall down${env.name === 'default' ? '' : ` --env ${env.name}`}", or start another environment with --env <name>`,
        );
      }
      // Parse here too, so a broken compose file is reported at once, before anything starts.
      try {
        const check = parseCompose(options.file ?? env.composeFile, { env: { ...env.variables, ...process.env, ROUTER_URL: 'http://127.0.0.1' } });
        printWarnings(check.warnings);
      } catch (error) {
        if (!(error instanceof ComposeError)) throw error;
        printWarnings(error.warnings);
        throw new CliError(error.problems.map((problem) => problem.message).join('\nerror: '), 'fix the compose file and run "npx tall up" again');
      }
      const runtime = options.runtime ?? (process.env.TALL_RUNTIME as RuntimeKind | undefined) ?? (await defaultRuntime());
      if (runtime === 'docker') {
        const problem = await dockerProblem();
        if (problem) throw new CliError(`--runtime docker: ${problem.problem}`, `${problem.fix}, or use --runtime process (no Docker needed)`);
      }
      mkdirSync(env.stateDir, { recursive: true });
      removeState(env.stateDir);
      const daemonOptions: DaemonOptions = { env: env.name, root: env.root, composeFile: options.file, runtime, port: options.port, timeoutMs: options.timeout * 1000 };
      const log = openSync(join(env.stateDir, 'control-plane.log'), 'a');
      const child = spawn(process.execPath, ['--import', TSX_LOADER, DAEMON, JSON.stringify(daemonOptions)], {
        cwd: env.root,
        detached: true,
        stdio: ['ignore', log, log],
      });
      child.unref();
      if (!options.json) console.log(`starting the platform (${runtime} runtime, environment "${env.name}")…`);
      const state = await waitForOutcome(env.stateDir, child.pid!, options.timeout * 1000 + 30_000, options.json ? () => undefined : (line) => console.log(color.dim(`  ${line}`)));
      if (state.phase === 'failed' || state.phase === 'stopping') {
        if (options.json) printJson({ ok: false, failure: state.failure, env: env.name, runtime });
        removeState(env.stateDir);
        const failure = state.failure;
        const tail = failure?.logTail.length ? `\nlast log lines of ${failure.instance ?? failure.service}:\n${failure.logTail.map((line) => `  | ${line}`).join('\n')}` : '';
        throw new CliError(`could not start: ${failure?.reason ?? 'the control plane stopped'}${tail}`, failure?.service && failure.service !== 'platform'
          ? `fix service "${failure.service}" and run "npx tall up" again; everything started has been stopped`
          : 'see .tall/' + env.name + '/control-plane.log');
      }
      if (options.json) return printJson({ ok: true, env: env.name, runtime, routerUrl: state.routerUrl, services: state.services, instances: state.instances });
      printReady(state);
    });
}

async function waitForOutcome(stateDir: string, pid: number, timeoutMs: number, onProgress: (line: string) => void): Promise<PlatformState> {
  const deadline = Date.now() + timeoutMs;
  let shown = 0;
  let readyShown = '';
  while (Date.now() < deadline) {
    const state = readState(stateDir);
    if (state) {
      for (const line of state.progress.slice(shown)) onProgress(line);
      shown = state.progress.length;
      const ready = state.services.map((s) => `${s.name} ${s.ready}/${s.desired}`).join(', ');
      if (state.phase === 'starting' && ready && ready !== readyShown) {
        onProgress(`ready: ${ready}`);
        readyShown = ready;
      }
      if (state.phase === 'running' || state.phase === 'failed') return state;
    }
    if (!isAlive(pid)) {
      const last = readState(stateDir);
      return last ?? ({ phase: 'failed', failure: { service: 'platform', reason: 'the control plane exited during start-up', logTail: [] } } as unknown as PlatformState);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CliError('the platform did not finish starting in time', 'see "npx tall logs" and "npx tall ps", then "npx tall down"');
}

function printReady(state: PlatformState): void {
  console.log(color.green(`✔ platform up: ${state.services.length} services ready (${state.runtime} runtime, environment "${state.env}")`));
  console.log(`\n  router  ${color.bold(state.routerUrl!)}`);
  for (const service of state.services) {
    if (service.route) console.log(`  ${service.name.padEnd(8)} ${state.routerUrl}/${service.route}/   (${service.ready} instance${service.ready === 1 ? '' : 's'}, ${service.balance})`);
  }
  const env = state.env === 'default' ? '' : ` --env ${state.env}`;
  console.log(`\nnext: npx tall ps${env}   ·   npx tall logs -f${env}   ·   npx tall scale ${state.services[0]?.name ?? "<service>"} 3${env}   ·   npx tall down${env}`);
}
