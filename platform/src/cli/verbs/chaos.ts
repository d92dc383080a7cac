import type { Command } from 'commander';
import { CliError, color, printJson, table } from '../output.js';
import { requireRunning } from '../platform-handle.js';
import { asArgument } from '../arguments.js';
import { durationArgument, percentArgument, statusArgument, type ActiveChaos, type ChaosRequest } from '../../chaos/chaos-request.js';
import { describeChaos, describeParameters, humanDuration, timeLeft } from '../../chaos/describe-chaos.js';
import type { ChaosOutcome } from '../../chaos/chaos-controller.js';

interface Common {
  env: string;
  json?: boolean;
}

const duration = (what: string) => asArgument((text) => durationArgument(text, what));
const envFlag = (env: string) => (env === 'default' ? '' : ` --env ${env}`);

export function registerChaos(program: Command): void {
  const chaos = program
    .command('chaos')
    .description('failover drills: kill instances on a schedule (Chaos Monkey), inject latency, errors or lost answers at the router; alone, lists what is active')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print as JSON')
    .configureHelp({ showGlobalOptions: true })
    .action(async (options: Common) => {
      const { client } = requireRunning(options.env);
      const active = await client.activeChaos();
      if (options.json) return printJson(active);
      if (active.length === 0) {
        console.log('no chaos active');
        console.log(`start some: npx tall chaos kill <service> [--every 10s --for 1m] · latency <service> 300ms · abort <service> 503 · lose-answer <service>`);
        return;
      }
      console.log(table([['KIND', 'SERVICE', 'PARAMETERS', 'TIME LEFT'], ...active.map((item) => [item.kind, item.service, describeParameters(item) + (item.kind === 'kill' ? `, ${item.kills ?? 0} killed` : ''), timeLeft(item)])]));
      console.log(`\nstop it: npx tall chaos stop [<service>]${envFlag(options.env)}`);
    });

  // --env and --json are the parent's, wherever they are written: optsWithGlobals() gives them to the subcommands.
  chaos.command('kill')
    .description('kill a random instance of the service, as a crash (the platform restarts it); --every repeats it, from the control plane')
    .argument('<service>', 'service name, e.g. catalog')
    .option('--every <duration>', 'kill one again every so often (at least 1s), e.g. 10s', duration('--every'))
    .option('--for <duration>', 'stop the schedule after this long (default: until "tall chaos stop"), e.g. 1m', duration('--for'))
    .action(async (service: string, _flags: unknown, command: Command) => {
      const options = command.optsWithGlobals<Common & { every?: number; for?: number }>();
      await start({ kind: 'kill', service, everyMs: options.every, forMs: options.for }, options);
    });

  // A fault: the service, what to inject, and how many requests for how long.
  const fault = (name: string, description: string, what: [string, string, (text: string, previous: number) => number], request: (service: string, value: number, percent: number) => ChaosRequest) =>
    chaos.command(name)
      .description(description)
      .argument('<service>', 'service name, e.g. catalog')
      .argument(...what)
      .option('--percent <P>', 'share of requests hit, in %', asArgument(percentArgument), 100)
      .option('--for <duration>', 'end it after this long (default: until "tall chaos stop"), e.g. 30s', duration('--for'))
      .action(async (service: string, value: number, _flags: unknown, command: Command) => {
        const options = command.optsWithGlobals<Common & { percent: number; for?: number }>();
        await start({ ...request(service, value, options.percent), forMs: options.for }, options);
      });

  fault('latency', 'delay requests into the service at the router (calls between services included), as Envoy\'s fault filter does',
    ['<delay>', 'how long each hit request waits before it is sent on, e.g. 300ms or 2s', duration('the delay')],
    (service, delayMs, percent) => ({ kind: 'latency', service, delayMs, percent }));
  fault('abort', 'answer requests into the service with an error status at the router, as if the service had failed them',
    ['<status>', 'an HTTP status from 400 to 599, e.g. 503', asArgument(statusArgument)],
    (service, status, percent) => ({ kind: 'abort', service, status, percent }));
  chaos.command('lose-answer')
    .description('let requests into the service through, then break the caller\'s connection instead of passing the answer back: the service did the work (a payment charged), the caller sees a network error')
    .argument('<service>', 'service name, e.g. payment')
    .option('--percent <P>', 'share of requests hit, in %', asArgument(percentArgument), 100)
    .option('--for <duration>', 'end it after this long (default: until "tall chaos stop"), e.g. 30s', duration('--for'))
    .action(async (service: string, _flags: unknown, command: Command) => {
      const options = command.optsWithGlobals<Common & { percent: number; for?: number }>();
      await start({ kind: 'lose-answer', service, percent: options.percent, forMs: options.for }, options);
    });

  chaos.command('stop')
    .description('end the chaos of one service, or all of it')
    .argument('[service]', 'only this service')
    .action(async (service: string | undefined, _flags: unknown, command: Command) => {
      const options = command.optsWithGlobals<Common>();
      const { client } = requireRunning(options.env);
      const { stopped } = await client.stopChaos(service);
      if (options.json) return printJson({ stopped });
      if (stopped.length === 0) return console.log(`no chaos was active${service ? ` on ${service}` : ''}; nothing to stop`);
      for (const item of stopped) console.log(color.green(`✔ stopped: ${describeChaos(item)}`));
      console.log(`see what happened: npx tall events${service ? ` ${service}` : ''}${envFlag(options.env)}`);
    });
}

async function start(request: ChaosRequest, options: Common): Promise<void> {
  const { client, state } = requireRunning(options.env);
  const service = state.services.find((s) => s.name === request.service);
  if (!service) {
    throw new CliError(`no service "${request.service}"`, `services: ${state.services.map((s) => s.name).join(', ')}`, 2);
  }
  const outcome = await client.startChaos(request);
  if (options.json) return printJson(outcome);
  console.log(color.green(`✔ chaos: ${summary(outcome)}`));
  const env = envFlag(options.env);
  const watch = `watch: npx tall events ${request.service} -f${env} · npx tall dashboard${env}`;
  if (request.kind === 'kill' && request.everyMs === undefined) console.log(`${watch} · the platform restarts it (npx tall ps${env})`);
  else console.log(`${watch} · list: npx tall chaos${env} · stop it: npx tall chaos stop ${request.service}${env}`);
  if (request.kind !== 'kill' && service.route) console.log(`try it: curl -i ${state.routerUrl}/${service.route}/`);
}

function summary({ chaos, killed }: ChaosOutcome): string {
  const lasting = (item: ActiveChaos) => (item.forMs === undefined ? 'until stopped' : `for ${humanDuration(item.forMs)}`);
  if (chaos.kind === 'kill' && chaos.everyMs === undefined) return `killed ${killed}`;
  if (chaos.kind === 'kill') return `${describeChaos(chaos)}, ${lasting(chaos)}${killed ? `; killed ${killed} first` : ''}`;
  return `${describeChaos(chaos)} (at the router: calls between services too), ${lasting(chaos)}`;
}
