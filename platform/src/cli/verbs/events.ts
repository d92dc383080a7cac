import { join } from 'node:path';
import type { Command } from 'commander';
import type { PlatformEvent } from '../../monitoring/event-log.js';
import { color, writeOut } from '../output.js';
import { locate } from '../platform-handle.js';
import { followFile, readAllEntries } from '../follow-file.js';

const tone: Partial<Record<PlatformEvent['type'], (text: string) => string>> = {
  crashed: color.red, unhealthy: color.red, failed: color.red, killed: color.red,
  ready: color.green, restarted: color.green, resurrected: color.green, provisioned: color.green, restored: color.green, 'port-changed': color.yellow, restarting: color.yellow, 'not-ready': color.yellow, 'metrics-failing': color.yellow, chaos: color.yellow,
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
      const format = (event: PlatformEvent) => {
        if (options.json) return JSON.stringify(event);
        const paint = tone[event.type] ?? ((text: string) => text);
        return `${color.dim(event.time.slice(11, 23))}  ${paint(event.type.padEnd(10))}  ${event.message}`;
      };
      const print = async (events: PlatformEvent[]) => {
        const shown = events.filter(wanted);
        if (shown.length > 0) await writeOut(`${shown.map(format).join('\n')}\n`);
      };
      if (options.json && !options.follow) {
        // The same text as printJson(array), written as it is read.
        let first = true;
        await writeOut('[');
        await readAllEntries<PlatformEvent>(file, async (events) => {
          const shown = events.filter(wanted);
          if (shown.length === 0) return;
          await writeOut(`${first ? '\n' : ',\n'}${shown.map((event) => `  ${JSON.stringify(event, null, 2).replace(/\n/g, '\n  ')}`).join(',\n')}`);
          first = false;
        });
        return writeOut(first ? ']\n' : '\n]\n');
      }
      const from = await readAllEntries<PlatformEvent>(file, print, Boolean(options.follow));
      if (options.follow) await followFile<PlatformEvent>(file, from, print);
    });
}
