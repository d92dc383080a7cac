import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { describeSize } from '../../data-services/backups.js';
import { findService } from '../../data-services/catalog.js';
import { CliError, color, printJson, table } from '../output.js';
import { requireRunning } from '../platform-handle.js';

interface EnvOptions {
  env: string;
  json?: boolean;
}

const envOption = () => process.env.TALL_ENV ?? 'default';

/** `tall service create|bind|unbind|delete|stop|start|backup|backups|restore`: one data-service instance at a time (`cf create-service` …). */
export function registerService(program: Command): void {
  const service = program
    .command('service')
    .description('create, bind, unbind, delete, stop, start, back up and restore a data-service instance (see "tall services", "tall marketplace")');

  service
    .command('create')
    .description('provision an instance (asynchronous, as an Open Service Broker: "tall services" shows when it succeeded)')
    .argument('<service>', 'a service of the marketplace, e.g. postgres')
    .argument('<name>', 'the instance name, e.g. shop-db')
    .option('--plan <plan>', 'a plan of that service (default: its default plan; see "tall marketplace")')
    .option('--wait', 'wait until it succeeded or failed')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print the instance as JSON')
    .action(async (kind: string, name: string, options: EnvOptions & { plan?: string; wait?: boolean }) => {
      const { client } = requireRunning(options.env);
      const instance = await client.createDataService(kind, name, { plan: options.plan, wait: options.wait });
      if (options.json) return printJson({ instance });
      const { state, description } = instance.lastOperation;
      if (state === 'failed') throw new CliError(`creating ${name} failed: ${description}`, `see "npx tall logs ${name}${client.envFlag()}"; delete it and try again: npx tall service delete ${name}${client.envFlag()}`);
      if (state === 'succeeded') console.log(color.green(`✔ ${name}: ${instance.service}, plan ${instance.plan}, ready at ${instance.url}`));
      else console.log(color.yellow(`… ${name}: create in progress (${description}); "npx tall services${client.envFlag()}" says when it succeeded`));
      console.log(`bind it to a service: npx tall service bind <service> ${name}${client.envFlag()}`);
    });

  service
    .command('bind')
    .description("bind an instance to a service: its instances get DATABASE_URL (a broker: BROKER_URL) and VCAP_SERVICES and restart one at a time")
    .argument('<app-service>', 'a service of the compose file, e.g. orders')
    .argument('<instance>', 'a data-service instance, e.g. shop-db')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print the outcome as JSON')
    .action(async (app: string, instance: string, options: EnvOptions) => {
      const { client } = requireRunning(options.env);
      const outcome = await client.bindDataService(app, instance);
      if (options.json) return printJson(outcome);
      if (!outcome.changed) return console.log(`${instance} is bound to ${app} already; nothing changed`);
      console.log(color.green(`✔ ${instance} bound to ${app}; restarted one at a time: ${outcome.restarted.join(', ') || 'no instance was running'}`));
      console.log(`${app} reads it from ${findService(outcome.instance.service)?.urlVariable ?? 'DATABASE_URL'} (and VCAP_SERVICES): ${outcome.instance.appUrl ?? outcome.instance.url ?? ''}`);
    });

  service
    .command('unbind')
    .description('unbind an instance from a service: its instances restart one at a time without the credentials')
    .argument('<app-service>', 'a service of the compose file')
    .argument('<instance>', 'a data-service instance')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print the outcome as JSON')
    .action(async (app: string, instance: string, options: EnvOptions) => {
      const { client } = requireRunning(options.env);
      const outcome = await client.unbindDataService(app, instance);
      if (options.json) return printJson(outcome);
      console.log(color.green(`✔ ${instance} unbound from ${app}; restarted one at a time: ${outcome.restarted.join(', ') || 'no instance was running'}`));
    });

  service
    .command('delete')
    .description('deprovision an instance: its server and data go (refused while it is bound; its backups stay)')
    .argument('<instance>', 'a data-service instance')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print the outcome as JSON')
    .action(async (instance: string, options: EnvOptions) => {
      const { client } = requireRunning(options.env);
      const outcome = await client.deleteDataService(instance);
      if (options.json) return printJson(outcome);
      console.log(color.green(`✔ ${instance} deleted: its server and its data`));
    });

  service
    .command('stop')
    .description('stop an instance\'s server on purpose, its data kept: it stays down (the resurrector leaves it) until "tall service start" — an outage drill')
    .argument('<instance>', 'a data-service instance')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print the instance as JSON')
    .action(async (instance: string, options: EnvOptions) => {
      const { client } = requireRunning(options.env);
      const view = await client.stopDataService(instance);
      if (options.json) return printJson({ instance: view });
      console.log(color.green(`✔ ${instance}: its server is stopped, its data kept; bound to ${view.bindings.map((binding) => binding.app).join(', ') || 'nothing'}`));
      console.log(`start it again: npx tall service start ${instance}${client.envFlag()}`);
    });

  service
    .command('start')
    .description('start the server of an instance stopped with "tall service stop"; returns once it accepts connections')
    .argument('<instance>', 'a data-service instance')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print the instance as JSON')
    .action(async (instance: string, options: EnvOptions) => {
      const { client } = requireRunning(options.env);
      const view = await client.startDataService(instance);
      if (options.json) return printJson({ instance: view });
      console.log(color.green(`✔ ${instance}: its server runs again at ${view.url ?? ''}, its data intact`));
    });

  service
    .command('backup')
    .description('a consistent dump of an instance (pg_dump of the server\'s own version), kept under .tall/<env>/backups/')
    .argument('<instance>', 'a data-service instance')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print the backup as JSON')
    .action(async (instance: string, options: EnvOptions) => {
      const { client } = requireRunning(options.env);
      const backup = await client.backupDataService(instance);
      if (options.json) return printJson({ backup });
      console.log(color.green(`✔ ${backup.id}  ${backup.time}  ${describeSize(backup.sizeBytes)}`));
      console.log(`restore it: npx tall service restore ${instance} ${backup.id}${client.envFlag()}`);
    });

  service
    .command('backups')
    .description("an instance's backups, oldest first, with time and size")
    .argument('<instance>', 'a data-service instance')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print as JSON')
    .action(async (instance: string, options: EnvOptions) => {
      const { client } = requireRunning(options.env);
      const backups = await client.dataBackups(instance);
      if (options.json) return printJson({ instance, backups });
      if (backups.length === 0) return console.log(`${instance} has no backups yet: npx tall service backup ${instance}${client.envFlag()}`);
      console.log(table([['BACKUP', 'TIME', 'SIZE'].map(color.bold), ...backups.map((backup) => [backup.id, backup.time, describeSize(backup.sizeBytes)])]));
    });

  service
    .command('restore')
    .description('restore a backup into an instance, in one transaction (a corrupt or foreign file is refused; the database is then untouched)')
    .argument('<instance>', 'a data-service instance')
    .argument('<backup>', 'a backup id (see "tall service backups"), "latest", or the path of a dump')
    .option('--env <name>', 'environment', envOption())
    .option('--json', 'print the outcome as JSON')
    .action(async (instance: string, backup: string, options: EnvOptions) => {
      const { client } = requireRunning(options.env);
      // A path is the caller's: resolved here, where it was typed, not in the control plane's folder.
      const ref = existsSync(backup) ? resolve(backup) : backup;
      const restored = await client.restoreDataService(instance, ref);
      if (options.json) return printJson({ instance, restored });
      console.log(color.green(`✔ ${instance}: restored ${restored.id}`));
    });
}

