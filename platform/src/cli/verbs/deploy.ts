import { join } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../compose/duration.js';
import type { DeployOutcome } from '../../delivery/deployer.js';
import type { PlatformEvent } from '../../monitoring/event-log.js';
import type { PlatformClient } from '../../control-plane/platform-client.js';
import type { PlatformState } from '../../control-plane/state-file.js';
import { followFile, readLastEntries } from '../follow-file.js';
import { CliError, color, printJson, table } from '../output.js';
import { requireRunning } from '../platform-handle.js';

export interface DeliveryOptions {
  env: string;
  json?: boolean;
  timeout?: string;
}

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('roll a service to its current code and compose file: a new version, rolling (deploy.update_config) or blue-green (x-tall.deploy); rolls back by itself when it fails')
    .argument('<service>', 'service name, e.g. catalog')
    .option('--history', 'list the service\'s versions instead: number, time, what changed, outcome')
    .option('--timeout <duration>', 'how long each new instance may take to be ready (default 30s)')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print the result as JSON')
    .action(async (service: string, options: DeliveryOptions & { history?: boolean }) => {
      const { client, state } = requireKnownService(options.env, service);
      if (options.history) return printHistory(client, service, options);
      const outcome = await withProgress(client, service, options, () => client.deploy(service, readyTimeout(options)));
      report(outcome, state, options);
    });
}

/** The platform, and the service known to it: an unknown one is named with those that exist. */
export function requireKnownService(env: string, service: string): { client: PlatformClient; state: PlatformState } {
  const running = requireRunning(env);
  if (!running.state.services.some((known) => known.name === service)) {
    throw new CliError(`no service "${service}"`, `services: ${running.state.services.map((known) => known.name).join(', ')}`, 2);
  }
  return running;
}

export function readyTimeout(options: DeliveryOptions): number | undefined {
  try {
    return options.timeout === undefined ? undefined : parseDuration(options.timeout, 0);
  } catch (error) {
    throw new CliError(`--timeout: ${(error as Error).message}`, undefined, 2);
  }
}

/** Prints the service's deploy events as they happen while `work` runs (not with --json: that prints one document). */
export async function withProgress<T>(client: PlatformClient, service: string, options: DeliveryOptions, work: () => Promise<T>): Promise<T> {
  if (options.json) return work();
  const file = join(client.env.stateDir, 'events.jsonl');
  const { from } = readLastEntries<PlatformEvent>(file, 0, () => false, true);
  const stop = new AbortController();
  const shown = ['deploying', 'deployed', 'rolled-back', 'deploy-failed', 'switched', 'ready', 'crashed', 'stopped'];
  const following = followFile<PlatformEvent>(file, from, (events) => {
    for (const event of events) {
      if (event.service === service && shown.includes(event.type)) console.log(`${color.dim(event.time.slice(11, 19))}  ${event.message}`);
    }
  }, { pollMs: 200, signal: stop.signal }).catch(() => undefined);
  try {
    return await work();
  } finally {
    // The last events are written just before the answer: one more read picks them up.
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop.abort();
    await following;
  }
}

export function report(outcome: DeployOutcome, state: PlatformState, options: DeliveryOptions): void {
  // A deploy that did not end where it was asked to is a failure for scripts too.
  if (outcome.outcome !== 'succeeded' && outcome.reason !== 'tall rollback') process.exitCode = 1;
  if (options.json) return printJson(outcome);
  const envFlag = state.env === 'default' ? '' : ` --env ${state.env}`;
  const where = outcome.instances.map((instance) => `${instance.id} v${instance.version}${instance.standby ? ' (standby)' : ''}`).join(', ');
  const took = `${(outcome.durationMs / 1000).toFixed(1)} s`;
  if (outcome.outcome === 'succeeded') {
    console.log(color.green(`✔ ${outcome.service} v${outcome.version} deployed (${outcome.strategy}) in ${took}: ${where}`));
    // failure_action: continue carried on past these
    if (outcome.reason) console.log(color.yellow(`! despite: ${outcome.reason}`));
    console.log(`undo it with: npx tall rollback ${outcome.service}${envFlag}; its versions: npx tall deploy --history ${outcome.service}${envFlag}`);
  } else if (outcome.outcome === 'rolled back') {
    const what = outcome.reason === 'tall rollback' ? `rolled back from v${outcome.attempted} to v${outcome.version}` : `v${outcome.attempted} was rolled back: ${outcome.reason}`;
    console.log((outcome.reason === 'tall rollback' ? color.green : color.red)(`${outcome.reason === 'tall rollback' ? '✔' : '✘'} ${outcome.service} ${what} (${took}); it runs v${outcome.version}: ${where}`));
    if (outcome.reason !== 'tall rollback') {
      console.log(`see why: npx tall logs ${outcome.service}${envFlag}; fix it, then deploy again`);
    } else console.log(`its versions: npx tall deploy --history ${outcome.service}${envFlag}`);
  } else {
    console.log(color.yellow(`! ${outcome.service} v${outcome.attempted} ${outcome.outcome}: ${outcome.reason}; instances: ${where}`));
    console.log(`deploy again once fixed, or go back: npx tall rollback ${outcome.service}${envFlag}`);
  }
}

async function printHistory(client: PlatformClient, service: string, options: DeliveryOptions): Promise<void> {
  const versions = await client.deployHistory(service);
  if (options.json) return printJson(versions);
  const rows = [['VERSION', 'TIME', 'HOW', 'HASH', 'CHANGED', 'OUTCOME'].map(color.bold)];
  for (const version of versions) {
    const outcome = version.reason ? `${version.outcome}: ${version.reason}` : version.outcome;
    const paint = version.outcome === 'succeeded' ? color.green : version.outcome === 'running' ? color.yellow : color.red;
    rows.push([`v${version.version}${version.active ? ' *' : ''}`, version.time.replace('T', ' ').slice(0, 19), version.strategy, version.hash, version.changes.join(', ') || '-', paint(outcome)]);
  }
  console.log(table(rows));
  console.log(`\n* the version ${service} runs now. Deploy a change with: npx tall deploy ${service}; go back with: npx tall rollback ${service}`);
}
