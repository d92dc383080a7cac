import { join } from 'node:path';
import type { Command } from 'commander';
import type { PlatformEvent } from '../../monitoring/event-log.js';
import { color, printJson } from '../output.js';
import { locate } from '../platform-handle.js';
import { readJsonLines } from '../follow-file.js';

const tone: Partial<Record<PlatformEvent['type'], (text: string) => string>> = {
  crashed: color.red, unhealthy: color.red, failed: color.red, killed: color.red,
  ready: color.green, restarted: color.green, restarting: color.yellow, 'not-ready': color.yellow,
};

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('what happened to instances, with times: crashes, restarts, scaling, readiness changes')
    .argument('[service]', 'only this service')
    .option('-f, --follow', 'keep printing new events')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print as a JSON array (with --follow: one object per line)')
    .action(async (service: string | undefined, options: { follow?: boolean; env: string; json?: boolean }) => {
      const { env } = locate(options.env);
      const file = join(env.stateDir, 'events.jsonl');
      const wanted = (event: PlatformEvent) => !service || event.service === service;
      const print = (event: PlatformEvent) => {
        if (options.json) return console.log(JSON.stringify(event));
        const paint = tone[event.type] ?? ((text: string) => text);
        console.log(`${color.dim(event.time.slice(11, 23))}  ${paint(event.type.padEnd(10))}  ${event.message}`);
      };
      if (options.json && !options.follow) {
        const all: PlatformEvent[] = [];
        await readJsonLines<PlatformEvent>(file, (event) => wanted(event) && all.push(event), false);
        return printJson(all);
      }
      await readJsonLines<PlatformEvent>(file, (event) => wanted(event) && print(event), Boolean(options.follow));
    });
}
